import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GrokcatError } from '../errors/error-catalogue.ts';
import type { EventCodec } from '../events/event-codec.ts';
import type { Logger } from '../log/logger.ts';
import type { Bus, PartitionOffset } from './bus.ts';
import { type EventHandler, type RetryPolicy, startConsumer } from './consumer-runtime.ts';

/** Where a replay starts or ends: a time, an offset applied to every partition, or the log's ends. */
export type ReplayPosition = { time: number } | { offset: bigint } | 'earliest' | 'latest';

export interface ReplayProgress {
  done: number;
  total: number;
}

export interface ReplayOptions<T> {
  bus: Bus;
  codec: EventCodec;
  log: Logger;
  topic: string;
  from: ReplayPosition;
  /** Exclusive; 'latest' (the default) is the end of the log when the replay starts. */
  to?: ReplayPosition;
  /** The consumer group that remembers progress; the same arguments give the same group, so a rerun resumes. */
  group?: string;
  handler: EventHandler<T>;
  retry: RetryPolicy;
  maxBatchSize?: number;
  onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplaySummary {
  topic: string;
  group: string;
  resumed: boolean;
  events: number;
  partitions: { partition: number; start: string; end: string }[];
  durationMs: number;
}

/** Parses `--from/--to`: `earliest`, `latest`, a number (an offset) or an ISO 8601 time. */
export function parseReplayPosition(text: string): ReplayPosition {
  if (text === 'earliest' || text === 'latest') return text;
  if (/^\d+$/.test(text)) return { offset: BigInt(text) };
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new GrokcatError(
      'USAGE_INVALID',
      `"${text}" is not earliest, latest, an offset or an ISO 8601 time`,
    );
  }
  return { time };
}

async function resolve(
  bus: Bus,
  topic: string,
  position: ReplayPosition,
  end: boolean,
): Promise<PartitionOffset[]> {
  const bounds = await bus.partitionBounds(topic);
  if (position === 'earliest') return bounds.map((b) => ({ partition: b.partition, offset: b.low }));
  if (position === 'latest') return bounds.map((b) => ({ partition: b.partition, offset: b.high }));
  if ('time' in position) {
    // Without a time index, scan the whole log; the timestamp filter keeps the range exact.
    const found = await bus.offsetsForTimestamp(topic, position.time);
    return found ?? bounds.map((b) => ({ partition: b.partition, offset: end ? b.high : b.low }));
  }
  return bounds.map((b) => {
    const clamped =
      position.offset < BigInt(b.low)
        ? BigInt(b.low)
        : position.offset > BigInt(b.high)
          ? BigInt(b.high)
          : position.offset;
    return { partition: b.partition, offset: clamped.toString() };
  });
}

function describe(position: ReplayPosition): string {
  if (typeof position === 'string') return position;
  return 'time' in position ? new Date(position.time).toISOString() : `offset ${position.offset}`;
}

/**
 * Re-processes a range of a topic through `handler` with the consumer runtime (retries, dead
 * letters, commits), on either bus. Progress lives in the group's committed offsets: stopped and
 * started again with the same arguments, it goes on where it was.
 */
export async function replay<T>(options: ReplayOptions<T>): Promise<ReplaySummary> {
  const { bus, topic } = options;
  const started = Date.now();
  const to = options.to ?? 'latest';
  const group =
    options.group ??
    `grokcat-replay.${topic}.${createHash('sha256')
      .update(`${describe(options.from)}|${describe(to)}`)
      .digest('hex')
      .slice(0, 12)}`;
  const starts = await resolve(bus, topic, options.from, false);
  const ends = await resolve(bus, topic, to, true);
  const partitions = starts.map((s) => {
    const end = ends.find((e) => e.partition === s.partition)?.offset ?? s.offset;
    return { partition: s.partition, start: s.offset, end: BigInt(end) < BigInt(s.offset) ? s.offset : end };
  });

  const resumed = (await bus.groupOffsets(group, topic)).length > 0;
  const total = partitions.reduce((sum, p) => sum + Number(BigInt(p.end) - BigInt(p.start)), 0);
  const position = (offsets: PartitionOffset[], partition: number, start: string) =>
    BigInt(offsets.find((o) => o.partition === partition)?.offset ?? start);
  const progress = (offsets: PartitionOffset[]) =>
    partitions.reduce((sum, p) => {
      const at = position(offsets, p.partition, p.start);
      const clamped = at > BigInt(p.end) ? BigInt(p.end) : at < BigInt(p.start) ? BigInt(p.start) : at;
      return sum + Number(clamped - BigInt(p.start));
    }, 0);

  options.log.info(
    { topic, group, resumed, total, from: describe(options.from), to: describe(to) },
    'replay starting',
  );
  let events = 0;
  const consumer = await startConsumer<T>({
    bus,
    codec: options.codec,
    log: options.log,
    group,
    topics: [topic],
    retry: options.retry,
    maxBatchSize: options.maxBatchSize ?? 100,
    startOffsets: new Map(partitions.map((p) => [`${topic}:${p.partition}`, p.start])),
    endOffsets: new Map(partitions.map((p) => [`${topic}:${p.partition}`, BigInt(p.end)])),
    // Offsets found by time are where the broker's index points; the exact range is by timestamp.
    timeRange: {
      ...(typeof options.from === 'object' && 'time' in options.from ? { from: options.from.time } : {}),
      ...(typeof to === 'object' && 'time' in to ? { to: to.time } : {}),
    },
    handler: async (batch, ctx) => {
      await options.handler(batch, ctx);
      events += batch.length;
    },
  });
  try {
    for (;;) {
      const offsets = await bus.groupOffsets(group, topic);
      const done = progress(offsets);
      options.onProgress?.({ done, total });
      if (done >= total) break;
      await sleep(250);
    }
  } finally {
    await consumer.stop();
  }
  return { topic, group, resumed, events, partitions, durationMs: Date.now() - started };
}
