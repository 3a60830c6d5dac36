import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { createEventPublisher } from '../../../shared/bus/event-publisher.ts';
import { openBus, openCodec } from '../../../shared/bus/open-bus.ts';
import { loadConfig } from '../../../shared/config/load-config.ts';
import { openDatabase } from '../../../shared/db/open-database.ts';
import { deadLetterTopic, TOPICS } from '../../../shared/events/topics.ts';
import { startMockClusterProcess } from '../../../shared/kafka-mock/mock-cluster-process.ts';
import type { Logger } from '../../../shared/log/logger.ts';
import { type BenchDatabaseKind, startBenchDatabase } from '../bench-database.ts';
import { writeBenchPhotos } from '../faults/fault-bench.ts';
import { listingValue, type PlannedListing } from '../faults/fault-ground-truth.ts';
import { type ServiceProcess, startServiceProcess } from '../faults/service-process.ts';
import { processCpuSeconds as cpuSeconds, ownCpuSeconds, postgresServerCpuSeconds } from '../process-cpu.ts';

export interface ScalingRun {
  /** PGlite served over TCP, or a native PostgreSQL (`--postgres`). */
  database: BenchDatabaseKind;
  enrichers: number;
  partitions: number;
  listings: number;
  seconds: number;
  listings_per_s: number;
  /** CPU seconds per listing, by component, over the measured window. */
  cpu_ms_per_listing: { enrichers: number; cataloger: number; database_and_driver: number };
  /** Average busy cores over the window (of os.cpus().length). */
  busy_cores: number;
  /** Each enricher's share of the enrichers' CPU time: near 1/N when the partitions are spread evenly. */
  enricher_shares: number[];
}

const PARTITIONS = 8;

/**
 * Throughput with `enrichers` enricher processes and one cataloger (each a `grokcat start
 * --services` process, as deployed) on librdkafka's mock cluster with 8 partitions, sharing one
 * Postgres (PGlite over TCP, served from this process). Each enricher gets cores/N ONNX Runtime
 * threads (an operator would not oversubscribe); the CPU time of every process says what limits it.
 */
export async function benchScaling(args: {
  modelDir: string;
  home: string;
  enrichers: number;
  listings: number;
  /** A native PostgreSQL server's URL (a role that may create databases) instead of PGlite. */
  postgres?: string | null;
  log: Logger;
  onStep?: (step: string) => void;
}): Promise<ScalingRun> {
  const { home, log } = args;
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const pg = await startBenchDatabase(args.postgres ?? null, { maxConnections: 40 });
    cleanups.push(() => pg.stop());
    const mock = await startMockClusterProcess(1);
    cleanups.push(() => mock.stop());
    for (const topic of Object.values(TOPICS)) {
      await mock.createTopic(topic, PARTITIONS);
      await mock.createTopic(deadLetterTopic(topic), 1);
    }
    const photoCount = Math.max(48, Math.ceil(args.listings / 5));
    const imageRoot = path.join(home, 'images');
    await writeBenchPhotos(imageRoot, photoCount);
    const threads = Math.max(1, Math.floor(os.cpus().length / args.enrichers));
    const vars: Record<string, string> = {
      GROKCAT_HOME: home,
      GROKCAT_MODEL: args.modelDir,
      DATABASE_URL: pg.url,
      KAFKA_BROKERS: mock.bootstrap,
      KAFKA_TIMESTAMP_LOOKUP: 'false',
      GROKCAT_CONSUMER_SESSION_TIMEOUT_MS: '10000',
      GROKCAT_CONSUMER_HEARTBEAT_MS: '1000',
      GROKCAT_DB_CONNECT_TIMEOUT_MS: '60000',
      GROKCAT_DEMO_SEED_LISTINGS: '0',
      GROKCAT_LOG_FORMAT: 'json',
      // info: startServiceProcess waits for the 'grokcat is running' line.
      GROKCAT_LOG_LEVEL: 'info',
    };
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? home, ...vars };
    const config = loadConfig({ env: vars, cwd: home });
    // This process serves the PGlite that stands in for a production Postgres: it does autovacuum's work.
    const database = await openDatabase(config, { log, maintain: pg.kind === 'pglite' });
    cleanups.push(() => database.close());
    args.onStep?.(`starting ${args.enrichers} enricher(s) and a cataloger`);
    const services: ServiceProcess[] = [];
    cleanups.push(() => Promise.all(services.map((s) => s.stop())));
    services.push(await startServiceProcess({ name: 'cataloger', services: 'cataloger', env }));
    for (let i = 0; i < args.enrichers; i++) {
      services.push(
        await startServiceProcess({
          name: `enricher-${i}`,
          services: 'enricher',
          env: { ...env, GROKCAT_MODEL_INTRA_THREADS: String(threads) },
        }),
      );
    }
    const bus = openBus(config, { database, log: log.child({}, { level: 'fatal' }) });
    cleanups.push(() => bus.close());
    const publisher = createEventPublisher({ bus, codec: openCodec(config) });
    const run = `sc${args.enrichers}-${Date.now().toString(36)}`;
    const listing = (i: number): PlannedListing => ({
      id: `${run}-${i}`,
      fate: 'cataloged',
      expectedCode: null,
      photos: [{ kind: 'file', name: `p${i % photoCount}.png` }],
      title: `scaling item ${i % photoCount} listing ${i}`,
      price: 1000 + (i % photoCount) * 10,
      update: null,
    });
    const uriOf = (photo: PlannedListing['photos'][number]) =>
      pathToFileURL(path.join(imageRoot, photo.name)).href;
    const publish = (from: number, to: number) =>
      publisher.publish(
        Array.from({ length: to - from }, (_, k) => listing(from + k)).map((l) => ({
          topic: TOPICS.listingsCreated,
          key: l.id,
          value: listingValue(l, uriOf, 'first'),
        })),
      );
    const cataloged = async () => {
      const row = await database
        .knex('listings')
        .where('id', 'like', `${run}-%`)
        .whereNotNull('product_id')
        .count<{ n: string }[]>({ n: '*' })
        .first();
      return Number(row?.n ?? 0);
    };
    const waitFor = async (count: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while ((await cataloged()) < count) {
        if (Date.now() > deadline) throw new Error(`scaling run: ${count} listings not cataloged in time`);
        await sleep(250);
      }
    };
    // Warm-up until every enricher has joined the group and works (a member that joins late, or a
    // consumer restarted after a failed join, would otherwise make N enrichers measure fewer).
    args.onStep?.('warm-up');
    let published = 0;
    for (let round = 0; round < 8; round++) {
      const before = services.map((s) => cpuSeconds(s.pid));
      await publish(published, published + 4 * PARTITIONS);
      published += 4 * PARTITIONS;
      await waitFor(published, 180_000);
      const busy = services.slice(1).every((s, i) => cpuSeconds(s.pid) - (before[i + 1] as number) > 0.05);
      if (busy && round > 0) break;
      await sleep(2000);
    }
    const warm = published;
    const cpuBefore = services.map((s) => cpuSeconds(s.pid));
    // The database's CPU: PGlite's worker in this process, or a native server's processes.
    const databaseCpu = () => ownCpuSeconds() + (pg.kind === 'postgresql' ? postgresServerCpuSeconds() : 0);
    const ownBefore = databaseCpu();
    const started = Date.now();
    args.onStep?.(`${args.listings} listings through ${args.enrichers} enricher(s)`);
    for (let from = warm; from < warm + args.listings; from += 100) {
      await publish(from, Math.min(warm + args.listings, from + 100));
    }
    await waitFor(warm + args.listings, 30 * 60_000);
    const seconds = (Date.now() - started) / 1000;
    const used = services.map((s, i) => cpuSeconds(s.pid) - (cpuBefore[i] as number));
    const own = databaseCpu() - ownBefore;
    const perListing = (cpu: number) => Math.round((cpu / args.listings) * 1000 * 10) / 10;
    const enricherCpu = used.slice(1).reduce((a, b) => a + b, 0);
    return {
      database: pg.kind,
      enrichers: args.enrichers,
      partitions: PARTITIONS,
      listings: args.listings,
      seconds: Math.round(seconds * 10) / 10,
      listings_per_s: Math.round((args.listings / seconds) * 10) / 10,
      cpu_ms_per_listing: {
        enrichers: perListing(enricherCpu),
        cataloger: perListing(used[0] as number),
        database_and_driver: perListing(own),
      },
      enricher_shares: used.slice(1).map((u) => Math.round((u / Math.max(1e-9, enricherCpu)) * 100) / 100),
      busy_cores: Math.round(((enricherCpu + (used[0] as number) + own) / seconds) * 100) / 100,
    };
  } finally {
    for (const step of cleanups.reverse()) await step().catch(() => {});
  }
}
