import { randomUUID } from 'node:crypto';
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
