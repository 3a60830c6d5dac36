import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Config, loadConfig } from '../../shared/config/load-config.ts';
import { createScratchDatabase } from '../../shared/db/scratch-database.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import { startMockClusterProcess } from '../../shared/kafka-mock/mock-cluster-process.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { ensureModel } from '../../shared/model/model-store.ts';
import { startSystem } from '../system/system.ts';
import { benchPhotoCount, writeBenchPhotos } from './faults/fault-bench.ts';
import { openListingFeed } from './listing-feed.ts';
import { percentile, type SoakSample } from './soak-chart.ts';

export interface SoakResult {
  bus: 'embedded' | 'kafka';
  /** The embedded PGlite, or a native PostgreSQL (`--postgres`). */
  database: 'pglite' | 'postgresql';
  minutes: number;
  /** Kafka consumers' fetch wait (`GROKCAT_CONSUMER_MAX_WAIT_MS`); absent in runs before 2026-12-02 (250). */
  consumer_max_wait_ms?: number;
  /** Listings of the capacity flood (0 when --rate was given). */
  flood_listings: number;
  capacity_per_s: number;
  rate_per_s: number;
  published: number;
  cataloged: number;
  throughput_per_s: number;
  latency_ms: { p50: number; p95: number; p99: number };
  max_in_flight: number;
  memory: { warm_rss_mb: number; end_rss_mb: number; growth_percent: number };
  samples: SoakSample[];
}

const SAMPLE_MS = 5000;
/**
 * Consumers' fetch wait on the mock cluster. A broker answers a waiting fetch as soon as records
 * arrive; librdkafka's mock holds a fetch that found nothing for the whole wait ("isn't strictly
 * correct ... too much of a hassle", rdkafka_mock_handlers.c), so the default 250 ms added up to a
 * quarter second per hop: 2 minutes at half load, p50 647 ms with 250 against 264 ms with 50.
 */
export const MOCK_MAX_WAIT_MS = 50;
/** Partitions of every topic: as many as the default configuration's. */
const PARTITIONS = 8;

/** Kafka for a benchmark: librdkafka's mock cluster in a child process, every topic made up front. */
async function benchKafka(
  partitions: number,
): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  const mock = await startMockClusterProcess(1);
  for (const topic of Object.values(TOPICS)) {
    await mock.createTopic(topic, partitions);
    await mock.createTopic(deadLetterTopic(topic), 1);
  }
  return {
    env: {
      KAFKA_BROKERS: mock.bootstrap,
      KAFKA_TIMESTAMP_LOOKUP: 'false',
      GROKCAT_CONSUMER_SESSION_TIMEOUT_MS: '10000',
      GROKCAT_CONSUMER_HEARTBEAT_MS: '1000',
      GROKCAT_CONSUMER_MAX_WAIT_MS: String(MOCK_MAX_WAIT_MS),
    },
    stop: () => mock.stop(),
  };
}

/**
 * `grokcat bench soak`: the pipeline (enricher and cataloger in this process, on the embedded
 * database, on the embedded bus or Kafka) first flooded to measure its capacity, then fed a steady
 * load at `load` of it for `minutes`; every listing's time from publish to its listings.cataloged
 * event (published once its rows are committed), the listings in flight and the process's memory,
 * sampled over time.
 */
export async function runSoakBench(options: {
  config: Config;
  log: Logger;
  minutes: number;
  load: number;
  rate?: number;
  bus?: 'embedded' | 'kafka';
  /** Listings published at once to measure capacity (default 300). */
  flood?: number;
  /** A native PostgreSQL server's URL (a role that may create databases) instead of the embedded PGlite. */
  postgres?: string | null;
  onProgress?: (done: number, total: number) => void;
}): Promise<SoakResult> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'grokcat-soak-'));
  const model = await ensureModel(options.config, options.log);
  const busKind = options.bus ?? 'embedded';
  const kafka = busKind === 'kafka' ? await benchKafka(PARTITIONS) : null;
  const native = options.postgres ? await createScratchDatabase(options.postgres, 'grokcat_soak') : null;
  const env = {
    ...(native ? { DATABASE_URL: native.url } : {}),
    GROKCAT_HOME: home,
    GROKCAT_MODEL: path.dirname(model.onnxPath),
    GROKCAT_HTTP_PORT: '0',
    GROKCAT_BUS_PARTITIONS: String(PARTITIONS),
    ...kafka?.env,
  };
  const config = loadConfig({ env: { PATH: process.env.PATH ?? '', ...env }, cwd: home });
  const system = await startSystem({ config, log: options.log, services: ['enricher', 'cataloger'] }).catch(
    async (error: unknown) => {
      await kafka?.stop();
      await native?.drop();
      throw error;
    },
  );
  try {
    const photos = benchPhotoCount(20_000);
    await writeBenchPhotos(path.join(home, 'images'), photos);
    const feed = await openListingFeed({
      bus: system.bus,
      config,
      imageRoot: path.join(home, 'images'),
      photos,
      prefix: 'soak',
    });
    // Capacity: a flood of 20 s worth at a generous guess, timed to the last listing cataloged.
    let capacity = options.rate ? options.rate / options.load : 0;
    // Warm-up: consumers joined (a Kafka group takes seconds), model loaded, first batches run.
    await feed.publish(16);
    await feed.drained();
    feed.takeLatencies();
    const flood = options.rate ? 0 : (options.flood ?? 300);
    if (!options.rate) {
      const started = Date.now();
      await feed.publish(flood);
      await feed.drained();
      capacity = flood / ((Date.now() - started) / 1000);
      feed.takeLatencies();
    }
    const rate = options.rate ?? capacity * options.load;
    const samples: SoakSample[] = [];
    const duration = options.minutes * 60_000;
    const started = Date.now();
    const publishedBefore = feed.published();
    const latencies: number[] = [];
    let lastSample = started;
    let due = started;
    while (Date.now() - started < duration) {
      const elapsed = Date.now() - started;
      const owed = Math.floor((elapsed / 1000) * rate) - (feed.published() - publishedBefore);
      if (owed > 0) await feed.publish(owed);
      if (Date.now() - lastSample >= SAMPLE_MS) {
        lastSample = Date.now();
        const window = feed.takeLatencies();
        latencies.push(...window);
        const sorted = window.sort((a, b) => a - b);
        samples.push({
          t_s: Math.round((lastSample - started) / 1000),
          in_flight: feed.inFlight(),
          p50_ms: percentile(sorted, 50),
          p95_ms: percentile(sorted, 95),
          rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
          heap_mb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
        });
        options.onProgress?.(Math.round(elapsed / 1000), Math.round(duration / 1000));
      }
      due += 250;
      await sleep(Math.max(0, due - Date.now()));
    }
    const published = feed.published() - publishedBefore;
    // Let what is in flight land, then stop.
    await feed.drained(60_000).catch(() => {});
    latencies.push(...feed.takeLatencies());
    await feed.stop();
    const sorted = [...latencies].sort((a, b) => a - b);
    // Memory after warm-up (the first fifth, at least 30 s) against the last fifth of the run.
    const warmFrom = Math.max(30, (options.minutes * 60) / 5);
    const warm = samples.filter((s) => s.t_s >= warmFrom);
    const fifth = Math.max(1, Math.floor(warm.length / 5));
    const mean = (xs: SoakSample[]) => xs.reduce((sum, s) => sum + s.rss_mb, 0) / Math.max(1, xs.length);
    const warmRss = mean(warm.slice(0, fifth));
    const endRss = mean(warm.slice(-fifth));
    return {
      bus: busKind,
      database: native ? 'postgresql' : 'pglite',
      minutes: options.minutes,
      ...(busKind === 'kafka' ? { consumer_max_wait_ms: config.consumer.maxWaitMs } : {}),
      flood_listings: flood,
      capacity_per_s: Math.round(capacity * 10) / 10,
      rate_per_s: Math.round(rate * 10) / 10,
      published,
      cataloged: latencies.length,
      throughput_per_s: Math.round((latencies.length / (duration / 1000)) * 10) / 10,
      latency_ms: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) },
      max_in_flight: Math.max(0, ...samples.map((s) => s.in_flight)),
      memory: {
        warm_rss_mb: Math.round(warmRss),
        end_rss_mb: Math.round(endRss),
        growth_percent: warmRss > 0 ? Math.round(((endRss - warmRss) / warmRss) * 1000) / 10 : 0,
      },
      samples,
    };
  } finally {
    await system.stop();
    await kafka?.stop();
    await native?.drop();
    rmSync(home, { recursive: true, force: true });
  }
}
