import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../log/logger.ts';
import type { BusMessage, SubscribeOptions, Subscription } from '../bus.ts';

function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

const MEMBERSHIP_ERRORS = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
]);

/** The group-membership protocol error inside a kafkajs error chain, if there is one. */
function membershipError(error: unknown): Error | null {
  for (let e = error as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.type && MEMBERSHIP_ERRORS.has(e.type)) return e as unknown as Error;
  }
  return null;
}

export interface KafkaConsumerSettings {
  sessionTimeoutMs: number;
  heartbeatMs: number;
  retryBackoffMs: number;
  /** Bytes a fetch waits for, up to maxWaitMs (batches that form under a trickle). */
  minBytes?: number;
  maxWaitMs?: number;
}

export interface KafkaSubscriptionArgs {
  kafka: Kafka;
  log: Logger;
  consumerSettings: KafkaConsumerSettings;
  partitionsConsumedConcurrently: number;
  /** The group's committed offsets (admin), for replays' start offsets. */
  committedOffsets(
    group: string,
    topics: string[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
  options: SubscribeOptions;
  onStop(): void;
}

/**
 * A consumer group member through kafkajs. When kafkajs gives a consumer up for good (a crash it
 * does not restart, say a broker answering a group request with garbage), a new consumer takes its
 * place after a pause, so a service never lives on without consuming; uncommitted events come again.
 */
export async function subscribeKafka(args: KafkaSubscriptionArgs): Promise<Subscription> {
  const { kafka, log, consumerSettings, options } = args;
  const { group, topics, fromBeginning = false, maxBatchSize = 100, startOffsets, onBatch } = options;
  let assignment: { topic: string; partition: number }[] = [];
  let stopped = false;
  let paused = false;
  let consumer: Consumer | undefined;

  const eachBatchOf =
    (owner: Consumer) =>
    async ({ batch, heartbeat, isRunning, isStale, resolveOffset, pause }: EachBatchPayload) => {
      const controls = { heartbeat, isActive: () => isRunning() && !isStale() };
      for (let start = 0; start < batch.messages.length && controls.isActive(); start += maxBatchSize) {
        const messages: BusMessage[] = batch.messages.slice(start, start + maxBatchSize).map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key?.toString() ?? null,
          value: m.value ?? Buffer.alloc(0),
          headers: headersOf(m),
          timestamp: Number(m.timestamp),
        }));
        let last: string | null;
        try {
          last = await onBatch(
            { topic: batch.topic, partition: batch.partition, messages, highWatermark: batch.highWatermark },
            controls,
          );
        } catch (error) {
          // Unresolved offsets are fetched again: pause this partition, then let kafkajs redeliver.
          log.warn(
            { err: error, topic: batch.topic, partition: batch.partition },
            'batch failed: delivering it again after a pause',
          );
          const resume = pause();
          setTimeout(resume, consumerSettings.retryBackoffMs).unref();
          return;
        }
        if (last === null || !controls.isActive()) return;
        resolveOffset(last);
        try {
          await owner.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
          ]);
        } catch (error) {
          // kafkajs rejoins the group on these only when it sees the protocol error itself; wrapped
          // (as its retrier wraps them) they crash the consumer for good. Uncommitted events come again.
          throw membershipError(error) ?? error;
        }
        await heartbeat();
      }
    };

  /** A new consumer, made the current one at once: a crash while it joins already counts as its own. */
  const start = async (): Promise<void> => {
    const next = kafka.consumer({
      groupId: group,
      sessionTimeout: consumerSettings.sessionTimeoutMs,
      rebalanceTimeout: consumerSettings.sessionTimeoutMs,
      heartbeatInterval: consumerSettings.heartbeatMs,
      maxWaitTimeInMs: consumerSettings.maxWaitMs ?? 250,
      minBytes: consumerSettings.minBytes ?? 1,
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 5000 },
    });
    consumer = next;
    next.on(next.events.GROUP_JOIN, ({ payload }) => {
      assignment = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
    });
    next.on(next.events.CRASH, ({ payload }) => {
      if (payload.restart || stopped || next !== consumer) return;
      log.error({ err: payload.error, group }, 'Kafka consumer crashed for good: starting a new one');
      void replace();
    });
    await next.connect();
    await next.subscribe({ topics, fromBeginning });
    await next.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: args.partitionsConsumedConcurrently,
      eachBatch: eachBatchOf(next),
    });
    if (paused) next.pause(topics.map((topic) => ({ topic })));
  };

  const replace = async () => {
    const old = consumer;
    assignment = [];
    await old?.disconnect().catch(() => {});
    for (let attempt = 1; !stopped; attempt++) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(30_000, consumerSettings.retryBackoffMs * attempt)),
      );
      if (stopped) return;
      try {
        await start();
        log.info({ group, attempt }, 'Kafka consumer started again');
        return;
      } catch (error) {
        log.warn({ err: error, group, attempt }, 'starting the Kafka consumer again failed: retrying');
      }
    }
  };

  await start();
  if (startOffsets && startOffsets.size > 0) {
    // Only where the group has committed nothing: a resumed replay keeps its progress. With
    // autoCommit off, kafkajs applies a seek to the fetch position without committing it.
    const committed = await args.committedOffsets(group, topics);
    const done = new Set(
      committed.flatMap((t) =>
        t.partitions.filter((p) => p.offset !== '-1').map((p) => `${t.topic}:${p.partition}`),
      ),
    );
    for (const [key, offset] of startOffsets) {
      if (done.has(key)) continue;
      const at = key.lastIndexOf(':');
      consumer?.seek({ topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset });
    }
  }
  return {
    async stop() {
      stopped = true;
      args.onStop();
      await consumer?.disconnect();
    },
    pause: () => {
      paused = true;
      consumer?.pause(topics.map((topic) => ({ topic })));
    },
    resume: () => {
      paused = false;
      consumer?.resume(topics.map((topic) => ({ topic })));
    },
    assignment: () => assignment,
  };
}
