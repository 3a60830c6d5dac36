import type { Bus, BusMessage } from '../../../shared/bus/bus.ts';
import { DLQ_HEADERS } from '../../../shared/bus/dead-letter.ts';
import { deadLetterTopic, isDeadLetterTopic } from '../../../shared/events/topics.ts';

export interface DeadLetterReport {
  topic: string;
  /** Where the messages came from: the topic to republish them to after a fix. */
  source: string;
  total: number;
  by_code: Record<string, number>;
  /** The last `limit` messages, oldest first. */
  messages: {
    key: string | null;
    code: string;
    reason: string;
    origin: string;
    group: string;
    dead_lettered_at: string;
    bytes: number;
  }[];
}

const describe = (m: BusMessage) => ({
  key: m.key,
  code: m.headers[DLQ_HEADERS.code] ?? '',
  reason: m.headers[DLQ_HEADERS.reason] ?? '',
  origin: `${m.headers[DLQ_HEADERS.topic] ?? '?'}/${m.headers[DLQ_HEADERS.partition] ?? '?'}/${m.headers[DLQ_HEADERS.offset] ?? '?'}`,
  group: m.headers[DLQ_HEADERS.group] ?? '',
  dead_lettered_at: m.headers[DLQ_HEADERS.deadLetteredAt] ?? new Date(m.timestamp).toISOString(),
  bytes: m.value.length,
});

/**
 * Reads a whole dead-letter topic once, from its earliest retained message to the end it had when
 * the read began, without joining a group or committing: reading never moves anyone's offsets.
 */
export async function readDeadLetters(bus: Bus, topic: string, limit: number): Promise<DeadLetterReport> {
  const dlq = isDeadLetterTopic(topic) ? topic : deadLetterTopic(topic);
  const bounds = await bus.partitionBounds(dlq);
  let seen: BusMessage[] = [];
  const byCode: Record<string, number> = {};
  await bus.readRange(
    dlq,
    bounds.map((b) => ({ partition: b.partition, from: b.low, to: b.high })),
    (messages) => {
      for (const m of messages) {
        const code = m.headers[DLQ_HEADERS.code] ?? '';
        byCode[code] = (byCode[code] ?? 0) + 1;
      }
      seen.push(...messages);
      if (seen.length > 2 * limit) {
        seen.sort((a, b) => a.timestamp - b.timestamp);
        seen = seen.slice(-limit);
      }
    },
  );
  const total = Object.values(byCode).reduce((sum, n) => sum + n, 0);
  seen.sort((a, b) => a.timestamp - b.timestamp);
  return {
    topic: dlq,
    source: dlq.slice(0, -'.dlq'.length),
    total,
    by_code: byCode,
    messages: seen.slice(-limit).map(describe),
  };
}
