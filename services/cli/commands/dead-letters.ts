import type { Bus, BusMessage } from '../../../shared/bus/bus.ts';
import { DLQ_HEADERS } from '../../../shared/bus/dead-letter.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
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

const READ_TIMEOUT_MS = 120_000;

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
 * the read began, under a throwaway group that commits nothing: reading never moves anyone's offsets.
 */
export async function readDeadLetters(bus: Bus, topic: string, limit: number): Promise<DeadLetterReport> {
  const dlq = isDeadLetterTopic(topic) ? topic : deadLetterTopic(topic);
  const bounds = await bus.partitionBounds(dlq);
  const remaining = new Map(
    bounds.filter((b) => BigInt(b.high) > BigInt(b.low)).map((b) => [b.partition, BigInt(b.high)]),
  );
  const seen: BusMessage[] = [];
  const byCode: Record<string, number> = {};
  if (remaining.size > 0) {
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const subscription = await bus.subscribe({
      group: `grokcat-dead-letters-${process.pid}-${Date.now()}`,
      topics: [dlq],
      fromBeginning: true,
      onBatch: async (batch) => {
        const end = remaining.get(batch.partition);
        if (end === undefined) return null;
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= end) continue;
          seen.push(m);
          const code = m.headers[DLQ_HEADERS.code] ?? '';
          byCode[code] = (byCode[code] ?? 0) + 1;
          if (seen.length > 2 * limit) {
            seen.sort((a, b) => a.timestamp - b.timestamp);
            seen.splice(0, seen.length - limit);
          }
        }
        if (BigInt(batch.messages.at(-1)?.offset ?? -1) >= end - 1n) remaining.delete(batch.partition);
        if (remaining.size === 0) finish();
        return null;
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new GrokcatError(
              'BUS_UNAVAILABLE',
              `reading ${dlq} did not finish within ${READ_TIMEOUT_MS / 1000} s`,
            ),
          ),
        READ_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
      await subscription.stop();
    }
  }
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
