import { createHash, randomUUID } from 'node:crypto';
import {
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { EventCodec } from '../events/event-codec.ts';
import type { Bus } from './bus.ts';

export const EVENT_ID_HEADER = 'grokcat-event-id';

export interface EventToPublish {
  topic: string;
  key: string | null;
  /** Must match the topic's current schema; `event_id` is used as the stable event id. */
  value: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The trace this event continues (an event being handled: its `traceContext`); default the active one. */
  traceContext?: Context;
}

export interface EventPublisher {
  publish(events: EventToPublish[]): Promise<void>;
}

/** Event ids for new events: random, so two producers never collide. */
export function newEventId(): string {
  return randomUUID();
}

/**
 * An event id derived from what caused the event (the source event's id and, say, the model
 * version): a redelivered source produces the very same id, so consumers downstream deduplicate.
 */
export function derivedEventId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const tracer = trace.getTracer('grokcat.publisher');

/**
 * Encodes events with the codec and publishes them in one bus call. Each message carries the
 * event's id (for idempotent consumers) and the W3C trace context of a `send <topic>` producer span,
 * a child of the event's trace (or the caller's), so consumers continue that trace.
 */
export function createEventPublisher({ bus, codec }: { bus: Bus; codec: EventCodec }): EventPublisher {
  return {
    async publish(events) {
      const sent: Span[] = [];
      try {
        const messages = await Promise.all(
          events.map(async ({ topic, key, value, headers, traceContext }) => {
            const eventId = typeof value.event_id === 'string' ? value.event_id : newEventId();
            const parent = traceContext ?? context.active();
            const span = tracer.startSpan(
              `send ${topic}`,
              {
                kind: SpanKind.PRODUCER,
                attributes: {
                  'messaging.system': bus.kind,
                  'messaging.operation.type': 'send',
                  'messaging.destination.name': topic,
                  'messaging.message.id': eventId,
                  ...(key === null ? {} : { 'messaging.kafka.message.key': key }),
                },
              },
              parent,
            );
            sent.push(span);
            const traceHeaders: Record<string, string> = {};
            propagation.inject(trace.setSpan(parent, span), traceHeaders);
            return {
              topic,
              key,
              value: await codec.encode(topic, value),
              headers: { ...headers, ...traceHeaders, [EVENT_ID_HEADER]: eventId },
            };
          }),
        );
        await bus.publish(messages);
      } catch (error) {
        for (const span of sent) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        }
        throw error;
      } finally {
        for (const span of sent) span.end();
      }
    },
  };
}
