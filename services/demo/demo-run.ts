import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from '../../shared/bus/bus.ts';
import { createEventPublisher, derivedEventId } from '../../shared/bus/event-publisher.ts';
import { createCatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import type { Config } from '../../shared/config/load-config.ts';
import type { Database } from '../../shared/db/open-database.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import type { EventCodec } from '../../shared/events/event-codec.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { demoSource } from './demo-catalogue.ts';
import { type GroundTruth, generateMarketplace } from './demo-marketplace.ts';

export interface DemoSummary {
  listings: number;
  enriched: number;
  products: number;
  priced: number;
  dead_lettered: number;
  seconds: number;
  run: string;
  source: string;
  ground_truth: string;
}

/** Where demo runs keep their ground truth (read by `grokcat eval catalog`). */
export const demoFolder = (config: Pick<Config, 'home'>) => path.join(config.home, 'demo');

/**
 * Generates a demo marketplace, publishes its listings to listings.created as a marketplace would,
 * and waits until the running services have enriched and cataloged every one (or dead-lettered it).
 */
export async function runDemo(args: {
  config: Config;
  database: Database;
  bus: Bus;
  codec: EventCodec;
  log: Logger;
  listings: number;
  imagesDir?: string;
  /** Seeds the marketplace (products, copies, prices, arrival order); default: from the run id. */
  seed?: number;
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<DemoSummary> {
  const started = Date.now();
  const run = `${new Date().toISOString().slice(0, 10).replaceAll('-', '')}${randomBytes(3).toString('hex')}`;
  const source = demoSource(args.imagesDir);
  const truth: GroundTruth = await generateMarketplace({
    listings: args.listings,
    source,
    run,
    folder: path.join(args.config.image.fileRoot, 'demo', run),
    ...(args.imagesDir ? { imagesDir: args.imagesDir } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
  });
  const truthFile = path.join(demoFolder(args.config), run, 'ground-truth.json');
  mkdirSync(path.dirname(truthFile), { recursive: true });
  writeFileSync(truthFile, `${JSON.stringify(truth, null, 1)}\n`);
  args.log.info(
    { run, source, listings: truth.listings.length, ground_truth: truthFile },
    'demo marketplace generated',
  );

  const ids = new Set(truth.listings.map((l) => l.listing_id));
  const dead = new Set<string>();
  const dlq = await args.bus.subscribe({
    group: `grokcat-demo-${run}`,
    topics: [deadLetterTopic(TOPICS.listingsCreated), deadLetterTopic(TOPICS.listingsEnriched)],
    fromBeginning: true,
    onBatch: async (batch) => {
      for (const m of batch.messages) if (m.key && ids.has(m.key)) dead.add(m.key);
      return batch.messages.at(-1)?.offset ?? null;
    },
  });
  try {
    const publisher = createEventPublisher({ bus: args.bus, codec: args.codec });
    for (let i = 0; i < truth.listings.length; i += 100) {
      await publisher.publish(
        truth.listings.slice(i, i + 100).map((l) => ({
          topic: TOPICS.listingsCreated,
          key: l.listing_id,
          value: {
            event_id: derivedEventId('demo', l.listing_id),
            occurred_at: Date.now(),
            listing_id: l.listing_id,
            title: l.title,
            description: '',
            price: l.held_out ? null : { amount_minor: l.true_price_minor, currency: 'EUR' },
            seller_id: l.seller_id,
            marketplace_category: null,
            images: l.images.map((uri) => ({ uri, inline_bytes: null, content_type: 'image/jpeg' })),
            seller_attributes: {},
            condition: l.condition,
          },
        })),
      );
    }
    const catalog = createCatalogRepository(args.database.knex);
    const deadline = Date.now() + (args.timeoutMs ?? 120_000 + truth.listings.length * 1000);
    const listingIds = [...ids];
    for (;;) {
      const progress = await catalog.progress(listingIds);
      const done = progress.cataloged + dead.size;
      args.onProgress?.(done, listingIds.length);
      if (done >= listingIds.length) {
        return {
          listings: listingIds.length,
          enriched: progress.enriched,
          products: progress.products,
          priced: progress.priced,
          dead_lettered: dead.size,
          seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
          run,
          source,
          ground_truth: truthFile,
        };
      }
      if (Date.now() > deadline) {
        throw new GrokcatError(
          'INTERNAL',
          `demo ${run}: after ${((Date.now() - started) / 1000).toFixed(0)} s only ${done} of ${listingIds.length} listings are cataloged or dead-lettered`,
        );
      }
      await sleep(500);
    }
  } finally {
    await dlq.stop();
  }
}
