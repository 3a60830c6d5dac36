import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { GrokcatError, toGrokcatError } from '../errors/error-catalogue.ts';
import type { EventCodec } from '../events/event-codec.ts';
import type { Logger } from '../log/logger.ts';
import type { BatchControls, Bus, BusMessage, PartitionBatch, Subscription } from './bus.ts';
import { createConsumerMetrics } from './consumer-metrics.ts';
import { toDeadLetter } from './dead-letter.ts';
import { eventIdOf } from './event-identity.ts';
import { EVENT_ID_HEADER } from './event-publisher.ts';

export interface ConsumedEvent<T = Record<string, unknown>> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** Stable across redeliveries: the body's event_id, else the producer's header, else topic/partition/offset. */
  eventId: string;
  timestamp: number;
  headers: Record<string, string>;
  value: T;
  /** Which schema version wrote it. */
  writer: string;
  /**
   * The trace context of this event's `process` span (a child of its producer's span): work done
   * for this one event, and events published because of it, continue the producer's trace.
   */
  traceContext: Context;
}

export interface HandlerContext<T = Record<string, unknown>> {
  topic: string;
  partition: number;
  log: Logger;
  /**
   * Sends one event of the batch to the dead-letter topic with the reason, once the handler returns
   * (nothing is sent if it throws): a bad event found mid-batch costs no bisection of the others.
   */
  deadLetter(event: ConsumedEvent<T>, error: GrokcatError): void;
}

/**
 * Processes a batch of one partition, in offset order. Make its effects idempotent by event id and
 * do them in one database transaction: the offset is committed only after the handler returns.
 * Throw a retriable GrokcatError (or a database/network error) to retry; anything else is poison.
 */
export type EventHandler<T = Record<string, unknown>> = (
  events: ConsumedEvent<T>[],
  ctx: HandlerContext<T>,
) => Promise<void>;

export interface RetryPolicy {
  /** Attempts per delivery before the batch is handed back to the bus for a later redelivery. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export interface ConsumerOptions<T> {
  bus: Bus;
  codec: EventCodec;
  log: Logger;
  group: string;
  topics: string[];
  handler: EventHandler<T>;
  retry: RetryPolicy;
  maxBatchSize?: number;
  fromBeginning?: boolean;
  /** While the handler runs, heartbeat this often so a long batch does not cost the partition. */
  heartbeatMs?: number;
  /** Replays: per `topic:partition`, where to start when the group has committed nothing there. */
  startOffsets?: Map<string, string>;
  /** Replays: per `topic:partition`, the offset at which processing stops (exclusive). */
  endOffsets?: Map<string, bigint>;
  /** Replays: only events with `from <= timestamp < to` reach the handler; the others are skipped and committed. */
  timeRange?: { from?: number; to?: number };
  /**
   * Called after dead letters are written, before the offset moves on (a failure here redelivers the
   * batch): e.g. recording which listings failed, so their status says so.
   */
  onDeadLettered?: (dead: DeadLetter[]) => Promise<void>;
}

export interface DeadLetter {
  message: BusMessage;
  error: GrokcatError;
}

export interface Consumer {
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
  subscription(): Subscription;
}

/** Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"). */
export function backoffMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>,
  random = Math.random,
): number {
  return Math.round(random() * Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)));
}

const tracer = trace.getTracer('grokcat.consumer');

/**
 * The consumer runtime every service shares: decodes, retries, dead-letters and commits, on
 * whichever bus. At-least-once: a crash between the handler's commit and the offset commit
 * redelivers the batch, which idempotent handlers absorb.
 */
export async function startConsumer<T = Record<string, unknown>>(
  options: ConsumerOptions<T>,
): Promise<Consumer> {
  const { bus, codec, group, handler, retry, heartbeatMs = 3000, endOffsets } = options;
  const log = options.log.child({ group });
  const metrics = createConsumerMetrics(group);
  let stopping = false;

  const deadLetter = async (dead: DeadLetter[]) => {
    if (dead.length === 0) return;
    await bus.publish(dead.map(({ message, error }) => toDeadLetter(message, error, group)));
    await options.onDeadLettered?.(dead);
    for (const { message, error } of dead) {
      metrics.deadLettered(message.topic);
      log.warn(
        {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          code: error.code,
          reason: error.message,
        },
        'dead-lettered a message',
      );
    }
  };

  const runHandler = async (events: ConsumedEvent<T>[], batch: PartitionBatch, controls: BatchControls) => {
    const partitionLog = log.child({
      topic: batch.topic,
      partition: batch.partition,
      offset: events[0]?.offset,
    });
    const beat = setInterval(() => controls.heartbeat().catch(() => {}), heartbeatMs);
    const dead: DeadLetter[] = [];
    try {
      await handler(events, {
        topic: batch.topic,
        partition: batch.partition,
        log: partitionLog,
        deadLetter: (event, error) => dead.push({ message: messageOf(event, batch), error }),
      });
    } finally {
      clearInterval(beat);
    }
    await deadLetter(dead);
  };

  /** Retries retriable failures; isolates poison by bisection, so one bad event never blocks its batch. */
  const processEvents = async (
    events: ConsumedEvent<T>[],
    batch: PartitionBatch,
    controls: BatchControls,
  ): Promise<void> => {
    if (events.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      if (!controls.isActive())
        throw new GrokcatError('BUS_CONSUMER_STOPPED', 'consumer stopped or partition revoked');
      try {
        await runHandler(events, batch, controls);
        metrics.processed(batch.topic, events.length);
        const now = Date.now();
        for (const event of events) metrics.eventAge(batch.topic, now - event.timestamp);
        return;
      } catch (caught) {
        const error = toGrokcatError(caught);
        metrics.failed(batch.topic, error.code);
        if (!error.retriable) {
          if (events.length === 1) {
            const [only] = events as [ConsumedEvent<T>];
            await deadLetter([{ message: messageOf(only, batch), error }]);
            return;
          }
          const middle = Math.ceil(events.length / 2);
          await processEvents(events.slice(0, middle), batch, controls);
          await processEvents(events.slice(middle), batch, controls);
          return;
        }
        if (attempt >= retry.attempts) throw error;
        const wait = backoffMs(attempt, retry);
        log.warn(
          { topic: batch.topic, partition: batch.partition, attempt, wait, code: error.code, err: caught },
          'retrying batch',
        );
        await sleep(wait);
      }
    }
  };

  const onBatch = async (batch: PartitionBatch, controls: BatchControls): Promise<string | null> => {
    const end = endOffsets?.get(`${batch.topic}:${batch.partition}`);
    const inRange = end === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) < end);
    if (inRange.length === 0) {
      await sleep(200); // a replayed partition that is finished: nothing to do until the replay stops
      return null;
    }
    const { from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY } = options.timeRange ?? {};
    const messages = inRange.filter((m) => m.timestamp >= from && m.timestamp < to);
    const lastInRange = inRange.at(-1)?.offset ?? null;
    metrics.lag(batch.topic, batch.partition, BigInt(batch.highWatermark) - BigInt(lastInRange ?? 0) - 1n);
    const started = performance.now();
    return tracer.startActiveSpan(
      `consume ${batch.topic}`,
      {
        attributes: {
          'messaging.system': bus.kind,
          'messaging.destination.name': batch.topic,
          'messaging.batch.message_count': messages.length,
          'messaging.kafka.destination.partition': batch.partition,
          'messaging.consumer.group.name': group,
        },
      },
      async (batchSpan) => {
        const spans: Span[] = [];
        try {
          const events: ConsumedEvent<T>[] = [];
          const dead: DeadLetter[] = [];
          for (const message of messages) {
            const parent: Context = propagation.extract(ROOT_CONTEXT, message.headers);
            const span = tracer.startSpan(
              `process ${message.topic}`,
              {
                kind: SpanKind.CONSUMER,
                attributes: {
                  'messaging.system': bus.kind,
                  'messaging.operation.type': 'process',
                  'messaging.destination.name': message.topic,
                  'messaging.message.id': message.headers[EVENT_ID_HEADER] ?? '',
                  'messaging.kafka.destination.partition': message.partition,
                  'messaging.kafka.offset': message.offset,
                  'messaging.consumer.group.name': group,
                },
                links: [{ context: batchSpan.spanContext() }],
              },
              parent,
            );
            spans.push(span);
            try {
              const decoded = await codec.decode<T>(message.topic, message.value);
              events.push({
                topic: message.topic,
                partition: message.partition,
                offset: message.offset,
                key: message.key,
                eventId: eventIdOf(message, decoded.value),
                timestamp: message.timestamp,
                headers: message.headers,
                value: decoded.value,
                writer: decoded.writer,
                traceContext: trace.setSpan(parent, span),
              });
            } catch (caught) {
              const error = toGrokcatError(caught);
              if (error.retriable) throw error; // e.g. the schema registry is down: not the message's fault
              dead.push({ message, error });
            }
          }
          await deadLetter(dead);
          await context.with(trace.setSpan(context.active(), batchSpan), () =>
            processEvents(events, batch, controls),
          );
          return controls.isActive() ? lastInRange : null;
        } catch (error) {
          batchSpan.recordException(error as Error);
          batchSpan.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          if (stopping || (error instanceof GrokcatError && error.code === 'BUS_CONSUMER_STOPPED'))
            return null;
          throw error;
        } finally {
          for (const span of spans) span.end();
          batchSpan.end();
          metrics.batchDuration(batch.topic, performance.now() - started);
        }
      },
    );
  };

  const subscription = await bus.subscribe({
    group,
    topics: options.topics,
    fromBeginning: options.fromBeginning ?? true,
    maxBatchSize: options.maxBatchSize ?? 100,
    ...(options.startOffsets ? { startOffsets: options.startOffsets } : {}),
    onBatch,
  });
  log.info({ topics: options.topics, bus: bus.kind }, 'consumer started');

  return {
    async stop() {
      stopping = true;
      await subscription.stop();
      metrics.close();
      log.info('consumer stopped');
    },
    pause: () => subscription.pause(),
    resume: () => subscription.resume(),
    subscription: () => subscription,
  };
}

function messageOf<T>(event: ConsumedEvent<T>, batch: PartitionBatch): BusMessage {
  const found = batch.messages.find((m) => m.offset === event.offset);
  if (!found) throw new GrokcatError('INTERNAL', `message ${event.offset} is not in its batch`);
  return found;
}
