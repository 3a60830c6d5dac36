import { createHash, randomUUID } from 'node:crypto';
import { context, propagation } from '@opentelemetry/api';
import type { EventCodec } from '../events/event-codec.ts';
import type { Bus } from './bus.ts';

export const EVENT_ID_HEADER = 'grokcat-event-id';

export interface EventToPublish {
  topic: string;
  key: string | null;
  /** Must match the topic's current schema; `event_id` is used as the stable event id. */
  value: Record<string, unknown>;
  headers?: Record<string, string>;
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

/**
 * Encodes events with the codec and publishes them in one bus call. Each message carries the
 * event's id (for idempotent consumers) and the W3C trace context of the caller.
 */
export function createEventPublisher({ bus, codec }: { bus: Bus; codec: EventCodec }): EventPublisher {
  return {
    async publish(events) {
      const messages = await Promise.all(
        events.map(async ({ topic, key, value, headers }) => {
          const traceHeaders: Record<string, string> = {};
          propagation.inject(context.active(), traceHeaders);
          const eventId = typeof value.event_id === 'string' ? value.event_id : newEventId();
          return {
            topic,
            key,
            value: await codec.encode(topic, value),
            headers: { ...headers, ...traceHeaders, [EVENT_ID_HEADER]: eventId },
          };
        }),
      );
      await bus.publish(messages);
    },
  };
}
