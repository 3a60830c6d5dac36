import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from '../../shared/bus/bus.ts';
import { startConsumer } from '../../shared/bus/consumer-runtime.ts';
import { createEmbeddedBus } from '../../shared/bus/embedded/embedded-bus.ts';
import { createEventPublisher, newEventId } from '../../shared/bus/event-publisher.ts';
import { createKafkaBus } from '../../shared/bus/kafka/kafka-bus.ts';
import type { Config } from '../../shared/config/load-config.ts';
import { openDatabase } from '../../shared/db/open-database.ts';
import type { EventCodec } from '../../shared/events/event-codec.ts';
import { startMockCluster } from '../../shared/kafka-mock/librdkafka-mock.ts';
import type { Logger } from '../../shared/log/logger.ts';

export interface BusBenchResult {
  bus: string;
  events: number;
  event_bytes: number;
  partitions: number;
  publish_per_s: number;
  end_to_end_per_s: number;
  latency_ms: { p50: number; p95: number; p99: number };
}

const PARTITIONS = 8;
const PUBLISH_BATCH = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** A listings.created event padded so that its encoded form is `bytes` long. */
async function sizedEvent(codec: EventCodec, topic: string, key: string, bytes: number) {
  const base = {
    event_id: newEventId(),
    occurred_at: Date.now(),
    listing_id: key,
    title: `bench listing ${key}`,
    description: '',
    price: { amount_minor: 1999, currency: 'EUR' },
    seller_id: 'bench',
    marketplace_category: null,
    images: [{ uri: `https://images.example/${key}.jpg`, inline_bytes: null, content_type: 'image/jpeg' }],
    seller_attributes: {},
    condition: null,
  };
  const overhead = (await codec.encode(topic, base)).length;
  // Avro writes the string length as a varint: 2 bytes for 64..8191 characters.
  return { ...base, description: 'x'.repeat(Math.max(0, bytes - overhead - 1)) };
}

/** Publishes `events` ~1 KB events in batches while one consumer group drains them; times both. */
export async function runBusBench(args: {
  name: string;
  bus: Bus;
  codec: EventCodec;
  log: Logger;
  events: number;
  bytes: number;
  topic: string;
  onProgress?: ((done: number, total: number) => void) | undefined;
}): Promise<BusBenchResult> {
  const { bus, codec, events, topic } = args;
  const template = await sizedEvent(codec, topic, 'k0', args.bytes);
  const eventBytes = (await codec.encode(topic, template)).length;
  const latencies: number[] = [];
  let received = 0;
  let lastReceived = 0;
  const consumer = await startConsumer<{ occurred_at: number }>({
    bus,
    codec,
    log: args.log,
    group: `bench-${randomBytes(4).toString('hex')}`,
    topics: [topic],
    retry: { attempts: 3, baseMs: 50, maxMs: 500 },
    maxBatchSize: 500,
    handler: async (batch) => {
      const now = Date.now();
      for (const event of batch) latencies.push(now - event.value.occurred_at);
      received += batch.length;
      lastReceived = now;
      args.onProgress?.(received, events);
    },
  });
  await sleep(500); // let the group settle before the clock starts
  const publisher = createEventPublisher({ bus, codec });
  const started = Date.now();
  for (let sent = 0; sent < events; sent += PUBLISH_BATCH) {
    const now = Date.now();
    const batch = Array.from({ length: Math.min(PUBLISH_BATCH, events - sent) }, (_, i) => {
      const key = `k${(sent + i) % 1000}`;
      return {
        topic,
        key,
        value: { ...template, event_id: newEventId(), listing_id: key, occurred_at: now },
      };
    });
    await publisher.publish(batch);
  }
  const published = Date.now();
  const deadline = Date.now() + 300_000;
  while (received < events && Date.now() < deadline) await sleep(50);
  await consumer.stop();
  latencies.sort((a, b) => a - b);
  return {
    bus: args.name,
    events,
    event_bytes: eventBytes,
    partitions: PARTITIONS,
    publish_per_s: Math.round(events / ((published - started) / 1000)),
    end_to_end_per_s: Math.round(received / ((lastReceived - started) / 1000)),
    latency_ms: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
  };
}

/** The embedded bus on a throwaway PGlite home, so a benchmark never touches the user's data. */
export async function benchEmbedded(
  config: Config,
  log: Logger,
  codec: EventCodec,
  events: number,
  bytes: number,
  onProgress?: (done: number, total: number) => void,
) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'grokcat-bench-'));
  const database = await openDatabase({ home, database: { ...config.database, url: null } }, { log });
  const bus = createEmbeddedBus({
    knex: database.knex,
    log,
    wakeupDir: path.join(home, 'run', 'bus'),
    defaultPartitions: PARTITIONS,
    retentionMs: null,
    consumer: { heartbeatMs: 1000, sessionTimeoutMs: 10_000, pollMs: 1000, retryBackoffMs: 500 },
  });
  try {
    const topic = `bench-${randomBytes(4).toString('hex')}.listings.created`;
    await bus.createTopics([{ topic, partitions: PARTITIONS }]);
    return await runBusBench({
      name: 'embedded (PGlite)',
      bus,
      codec,
      log,
      events,
      bytes,
      topic,
      onProgress,
    });
  } finally {
    await bus.close();
    await database.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** Kafka at KAFKA_BROKERS, or else librdkafka's mock cluster started in this process. */
export async function benchKafka(
  config: Config,
  log: Logger,
  codec: EventCodec,
  events: number,
  bytes: number,
  onProgress?: (done: number, total: number) => void,
) {
  const topic = `bench-${randomBytes(4).toString('hex')}.listings.created`;
  const mock = config.bus.kafka ? null : startMockCluster(1);
  const kafka = config.bus.kafka ?? {
    brokers: mock?.bootstrapServers.split(',') ?? [],
    clientId: 'grokcat-bench',
    ssl: false,
    sasl: null,
    timestampLookup: false,
  };
  const bus = createKafkaBus({
    ...kafka,
    log,
    consumer: { sessionTimeoutMs: 10_000, heartbeatMs: 1000, retryBackoffMs: 500 },
  });
  try {
    if (mock) mock.createTopic(topic, PARTITIONS);
    else await bus.createTopics([{ topic, partitions: PARTITIONS }]);
    const name = mock ? 'kafka (librdkafka mock, 1 broker)' : `kafka (${kafka.brokers.join(',')})`;
    return await runBusBench({ name, bus, codec, log, events, bytes, topic, onProgress });
  } finally {
    await bus.close();
    mock?.destroy();
  }
}
