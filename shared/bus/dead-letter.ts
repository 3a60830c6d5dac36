import type { GrokcatError } from '../errors/error-catalogue.ts';
import { deadLetterTopic } from '../events/topics.ts';
import type { BusMessage, OutgoingMessage } from './bus.ts';

/** Headers a dead letter carries besides the original ones; documented in schemas/README.md. */
export const DLQ_HEADERS = {
  reason: 'grokcat-dlq-reason',
  code: 'grokcat-dlq-code',
  topic: 'grokcat-dlq-topic',
  partition: 'grokcat-dlq-partition',
  offset: 'grokcat-dlq-offset',
  timestamp: 'grokcat-dlq-timestamp',
  group: 'grokcat-dlq-group',
  deadLetteredAt: 'grokcat-dlq-at',
} as const;

const MAX_REASON = 2000;

/** The original message, unchanged, bound for `<topic>.dlq` with why and where it failed. */
export function toDeadLetter(message: BusMessage, error: GrokcatError, group: string): OutgoingMessage {
  return {
    topic: deadLetterTopic(message.topic),
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DLQ_HEADERS.reason]: error.message.slice(0, MAX_REASON),
      [DLQ_HEADERS.code]: error.code,
      [DLQ_HEADERS.topic]: message.topic,
      [DLQ_HEADERS.partition]: String(message.partition),
      [DLQ_HEADERS.offset]: message.offset,
      [DLQ_HEADERS.timestamp]: new Date(message.timestamp).toISOString(),
      [DLQ_HEADERS.group]: group,
      [DLQ_HEADERS.deadLetteredAt]: new Date().toISOString(),
    },
  };
}
