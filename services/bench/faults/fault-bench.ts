import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { Bus, BusMessage } from '../../../shared/bus/bus.ts';
import { DLQ_HEADERS } from '../../../shared/bus/dead-letter.ts';
import { createEventPublisher, type EventPublisher } from '../../../shared/bus/event-publisher.ts';
import { openBus, openCodec } from '../../../shared/bus/open-bus.ts';
import { type Config, loadConfig } from '../../../shared/config/load-config.ts';
import { type Database, openDatabase } from '../../../shared/db/open-database.ts';
import { deadLetterTopic, TOPICS } from '../../../shared/events/topics.ts';
import {
  PATTERN_COUNT,
  PRODUCT_COLOURS,
  renderShapeProduct,
  SHAPE_COUNT,
} from '../../../shared/image/product-render.ts';
import { startMockClusterProcess } from '../../../shared/kafka-mock/mock-cluster-process.ts';
import type { Logger } from '../../../shared/log/logger.ts';
import { ensureModel } from '../../../shared/model/model-store.ts';
import { startBenchDatabase } from '../bench-database.ts';
import {
  catalogedCount,
  type DeadLetterSeen,
  type FaultPlan,
  type FaultVerdict,
  listingValue,
  type PlannedListing,
  planFaultRun,
} from './fault-ground-truth.ts';
import { type FaultKind, runFaultSchedule } from './fault-schedule.ts';
import { verifyUntilSettled } from './fault-verify.ts';
import { startImageHost } from './image-host.ts';
import { startServiceProcess } from './service-process.ts';
import { startTcpFaultProxy } from './tcp-fault-proxy.ts';

export interface FaultBenchResult extends Omit<FaultVerdict, 'problems'> {
  /** Where the catalogue lived: PGlite served over TCP, or a native PostgreSQL (`--postgres`). */
  database: 'pglite' | 'postgresql';
  /** Cataloger processes that shared the partitions (and the products). */
  catalogers: number;
  events: number;
  listings: number;
  faults_injected: number;
  faults: Partial<Record<FaultKind, number>>;
  duration_s: number;
  listings_per_s: number;
  problems: string[];
}

export interface FaultBenchOptions {
  /** The caller's configuration: where the served model comes from. */
  config: Config;
  log: Logger;
  listings: number;
  /** Listings published per second (the pipeline must keep a backlog for faults to land mid-batch). */
  rate: number;
  /** Give up waiting for the pipeline after this long and report what is missing. */
  timeoutMs: number;
  /** A native PostgreSQL server (URL of a role that may create databases) instead of PGlite. */
  postgres?: string | null;
  /** Cataloger processes sharing the partitions: two or more race on the same products. */
  catalogers?: number;
  onProgress?: (done: number, total: number) => void;
  onFault?: (kind: FaultKind) => void;
}

const PARTITIONS = 4;

/** The environment of a benchmark process: none of the caller's grokcat settings, the bench's own. */
function benchEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(GROKCAT_|KAFKA_|DATABASE_URL$|SCHEMA_REGISTRY_URL$)/.test(name)) env[name] = value;
  }
  return { ...env, ...vars };
}

/** Distinct product photos for a run: about five listings per product, as on a real marketplace. */
export const benchPhotoCount = (listings: number) => Math.max(48, Math.ceil(listings / 5));

/** The benchmark's product photos (and one broken file) under `imageRoot`; also served over HTTP. */
export async function writeBenchPhotos(imageRoot: string, count: number): Promise<Map<string, Buffer>> {
  mkdirSync(imageRoot, { recursive: true });
  const photos = new Map<string, Buffer>();
  const colours = PRODUCT_COLOURS.length;
  for (let i = 0; i < count; i++) {
    const colour = PRODUCT_COLOURS[Math.floor(i / SHAPE_COUNT) % colours]?.rgb ?? [0, 0, 0];
    const pattern = Math.floor(i / (SHAPE_COUNT * colours)) % PATTERN_COUNT;
    const variant = Math.floor(i / (SHAPE_COUNT * colours * PATTERN_COUNT));
    const bytes = await renderShapeProduct(i % SHAPE_COUNT, colour, pattern, variant);
    photos.set(`p${i}.png`, bytes);
    writeFileSync(path.join(imageRoot, `p${i}.png`), bytes);
  }
  writeFileSync(path.join(imageRoot, 'broken.jpg'), Buffer.from('\xff\xd8\xff\xe0 truncated, not a JPEG'));
  return photos;
}

/** Publishes with retries, as any producer that must not lose an event does through an outage. */
async function publishSurely(send: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= 200) throw error;
      await sleep(250);
    }
  }
}

/** Every listing (and update, and garbage message) of the plan, at `rate` per second. */
export async function publishPlan(args: {
  plan: FaultPlan;
  bus: Bus;
  publisher: EventPublisher;
  uriOf: (photo: PlannedListing['photos'][number]) => string;
  rate: number;
}): Promise<number> {
  const { plan, publisher, uriOf } = args;
  const chunk = Math.max(1, Math.round(args.rate / 4));
  let events = 0;
  const started = Date.now();
  for (let from = 0; from < plan.listings.length; from += chunk) {
    const to = Math.min(plan.listings.length, from + chunk);
    const batch = plan.listings.slice(from, to).map((listing) => ({
      topic: TOPICS.listingsCreated,
      key: listing.id,
      value: listingValue(listing, uriOf, 'first'),
    }));
    const updates = plan.listings
      .filter((l) => l.update && l.update.afterIndex >= from && l.update.afterIndex < to)
      .map((listing) => ({
        topic: TOPICS.listingsCreated,
        key: listing.id,
        value: listingValue(listing, uriOf, 'update'),
      }));
    await publishSurely(() => publisher.publish([...batch, ...updates]));
    const garbage = plan.garbage.filter((g) => g.afterIndex >= from && g.afterIndex < to);
    if (garbage.length > 0) {
      await publishSurely(() =>
        args.bus.publish(
          garbage.map((g) => ({
            topic: TOPICS.listingsCreated,
            key: g.key,
            value: Buffer.from(`not an event: ${g.key}`),
            headers: {},
          })),
        ),
      );
    }
    events += batch.length + updates.length + garbage.length;
    const due = started + (to / args.rate) * 1000;
    await sleep(Math.max(0, due - Date.now()));
  }
  return events;
}

export function deadLetterOf(message: BusMessage): DeadLetterSeen {
  const h = message.headers;
  return {
    key: message.key,
    code: h[DLQ_HEADERS.code] ?? '',
    reason: h[DLQ_HEADERS.reason] ?? '',
    origin: `${h[DLQ_HEADERS.topic]}/${h[DLQ_HEADERS.partition]}/${h[DLQ_HEADERS.offset]}`,
  };
}

/**
 * `grokcat bench faults`: thousands of listings through the whole pipeline (an enricher and a
 * cataloger, each in its own process, on librdkafka's mock cluster, with a Postgres they reach
 * through a proxy that can cut them off) while brokers fail, requests error, processes are killed,
 * the database goes away and image hosts slow down; then Postgres and the dead-letter topics are
 * checked against the ground truth.
 */
export async function runFaultBench(options: FaultBenchOptions): Promise<FaultBenchResult> {
  const { log } = options;
  const home = mkdtempSync(path.join(os.tmpdir(), 'grokcat-faults-'));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(home, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => {});
  };
  try {
    const model = await ensureModel(options.config, log);
    const photoCount = benchPhotoCount(options.listings);
    const photos = await writeBenchPhotos(path.join(home, 'images'), photoCount);
    const images = await startImageHost(photos);
    cleanups.push(() => images.close());
    const pg = await startBenchDatabase(options.postgres ?? null, { maxConnections: 40 });
    cleanups.push(() => pg.stop());
    const proxy = await startTcpFaultProxy({ host: pg.host, port: pg.port });
    cleanups.push(() => proxy.close());
    const mock = await startMockClusterProcess(3);
    cleanups.push(() => mock.stop());
    for (const topic of Object.values(TOPICS)) {
      await mock.createTopic(topic, PARTITIONS);
      await mock.createTopic(deadLetterTopic(topic), 1);
    }
    const vars = {
      GROKCAT_HOME: home,
      GROKCAT_MODEL: path.dirname(model.onnxPath),
      KAFKA_BROKERS: mock.bootstrap,
      KAFKA_TIMESTAMP_LOOKUP: 'false',
      GROKCAT_CONSUMER_SESSION_TIMEOUT_MS: '6000',
      GROKCAT_CONSUMER_HEARTBEAT_MS: '500',
      GROKCAT_CONSUMER_RETRY_BASE_MS: '50',
      GROKCAT_CONSUMER_RETRY_MAX_MS: '1000',
      GROKCAT_IMAGE_ALLOW_HOSTS: '127.0.0.1',
      GROKCAT_IMAGE_FETCH_TIMEOUT_MS: '1500',
      GROKCAT_DEMO_SEED_LISTINGS: '0',
      // The bench's rendered products look alike to the model: matching on the image alone, strictly,
      // makes the listings of one photo one product and those of two photos two, so a split is a race.
      GROKCAT_CATALOG_MATCH_THRESHOLD: '0.99',
      GROKCAT_CATALOG_TEXT_WEIGHT: '0',
      GROKCAT_LOG_FORMAT: 'json',
      GROKCAT_LOG_LEVEL: 'info',
    };
    // The driver reads the database directly; the services go through the proxy that cuts them off.
    // PGlite runs one transaction at a time: behind a cataloger's batch, a new connection of the
    // driver can wait for seconds, so the driver waits longer than a service would.
    const config = loadConfig({
      env: benchEnv({ ...vars, DATABASE_URL: pg.url, GROKCAT_DB_CONNECT_TIMEOUT_MS: '120000' }),
      cwd: home,
    });
    // This process serves the PGlite that stands in for a production Postgres: it does autovacuum's work.
    const database: Database = await openDatabase(config, { log, maintain: pg.kind === 'pglite' });
    cleanups.push(() => database.close());
    const serviceEnv = benchEnv({ ...vars, DATABASE_URL: pg.through(proxy.port) });
    const catalogerCount = Math.max(1, options.catalogers ?? 1);
    const [enricher, cataloger, ...otherCatalogers] = await Promise.all([
      startServiceProcess({ name: 'enricher', services: 'enricher', env: serviceEnv }),
      ...Array.from({ length: catalogerCount }, (_, i) =>
        startServiceProcess({
          name: i === 0 ? 'cataloger' : `cataloger-${i + 1}`,
          services: 'cataloger',
          env: serviceEnv,
        }),
      ),
    ]);
    if (!enricher || !cataloger) throw new Error('the bench services did not start');
    cleanups.push(
      () => enricher.stop(),
      () => cataloger.stop(),
      ...otherCatalogers.map((c) => () => c.stop()),
    );

    // The faults make kafkajs log errors by design: the driver's own bus stays quiet.
    const bus = openBus(config, { database, log: log.child({}, { level: 'fatal' }) });
    cleanups.push(() => bus.close());
    const codec = openCodec(config);
    const deadLetters: DeadLetterSeen[] = [];
    const dlq = await bus.subscribe({
      group: `fault-bench-dlq-${Date.now()}`,
      topics: [deadLetterTopic(TOPICS.listingsCreated), deadLetterTopic(TOPICS.listingsEnriched)],
      fromBeginning: true,
      onBatch: async (batch) => {
        deadLetters.push(...batch.messages.map(deadLetterOf));
        return batch.messages.at(-1)?.offset ?? null;
      },
    });
    cleanups.push(() => dlq.stop());

    const plan = planFaultRun(options.listings, photoCount);
    const uriOf = (photo: PlannedListing['photos'][number]) =>
      photo.kind === 'http'
        ? images.url(photo.name)
        : photo.kind === 'hang'
          ? images.hangingUrl(photo.name)
          : pathToFileURL(path.join(home, 'images', photo.name)).href;
    const good = plan.listings.filter((l) => l.fate === 'cataloged').length;
    let lastDone = 0;
    const progress = async () => {
      // A slow read of the driver's own is no verdict on the pipeline: keep the last count.
      lastDone = await catalogedCount(database.knex, plan.run).catch((error: unknown) => {
        log.warn({ err: error }, 'progress query failed; retrying at the next check');
        return lastDone;
      });
      options.onProgress?.(lastDone, good);
      return lastDone / good;
    };
    const started = Date.now();
    const publishing = publishPlan({
      plan,
      bus,
      publisher: createEventPublisher({ bus, codec }),
      uriOf,
      rate: options.rate,
    });
    const faults = await runFaultSchedule({ mock, proxy, images, enricher, cataloger }, progress, (kind) => {
      log.info({ fault: kind }, 'injecting a fault');
      options.onFault?.(kind);
    });
    const events = await publishing;
    const verdict = await verifyUntilSettled({
      knex: database.knex,
      plan,
      deadLetters,
      progress,
      deadline: started + options.timeoutMs,
    });
    const seconds = (Date.now() - started) / 1000;
    const injected = Object.values(faults).reduce((sum, n) => sum + n, 0);
    return {
      database: pg.kind,
      catalogers: catalogerCount,
      events,
      listings: plan.listings.length,
      faults_injected: injected,
      faults,
      ...verdict,
      duration_s: Math.round(seconds),
      listings_per_s: Math.round((good / seconds) * 10) / 10,
    };
  } finally {
    await cleanup();
  }
}
