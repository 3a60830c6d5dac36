import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../shared/config/load-config.ts';
import { createScratchDatabase } from '../../../shared/db/scratch-database.ts';
import type { Logger } from '../../../shared/log/logger.ts';
import { startSystem } from '../../system/system.ts';
import { writeBenchPhotos } from '../faults/fault-bench.ts';
import { openListingFeed } from '../listing-feed.ts';
import { ownCpuSeconds, postgresServerCpuSeconds } from '../process-cpu.ts';

/** One measurement: a flood of `window` listings into a catalogue that already held `catalogue_listings`. */
export interface GrowthPoint {
  catalogue_listings: number;
  products: number;
  window: number;
  seconds: number;
  wall_ms_per_listing: number;
  /** CPU per listing: this process (enricher, cataloger, bus; PGlite's worker) and a native server's processes. */
  cpu_ms_per_listing: { process: number; database_server: number; total: number };
}

export interface GrowthRun {
  database: 'pglite' | 'postgresql';
  bus: 'embedded';
  points: GrowthPoint[];
  /** The last point's total CPU per listing over the first's: flat cost is 1. */
  cpu_ratio: number;
  wall_ratio: number;
}

/** Listings per product: consecutive listings show one photo, so every window founds and joins alike. */
const LISTINGS_PER_PRODUCT = 5;
const FILL_CHUNK = 500;

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Cost per listing as the catalogue grows: the enricher and cataloger in this process on the
 * embedded bus (the embedded PGlite, or a native PostgreSQL), the catalogue filled to each of
 * `sizes` listings, then a flood of `window` more timed to its last listings.cataloged event with
 * the CPU it took. Each window founds one product in five and joins the rest, as the fill did.
 */
export async function benchGrowth(args: {
  modelDir: string;
  log: Logger;
  sizes: number[];
  window: number;
  postgres?: string | null;
  onStep?: (step: string) => void;
}): Promise<GrowthRun> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'grokcat-growth-'));
  const native = args.postgres ? await createScratchDatabase(args.postgres, 'grokcat_growth') : null;
  const total = Math.max(...args.sizes) + args.window;
  const photos = Math.ceil(total / LISTINGS_PER_PRODUCT);
  const config = loadConfig({
    env: {
      PATH: process.env.PATH ?? '',
      ...(native ? { DATABASE_URL: native.url } : {}),
      GROKCAT_HOME: home,
      GROKCAT_MODEL: args.modelDir,
      GROKCAT_HTTP_PORT: '0',
      GROKCAT_DEMO_SEED_LISTINGS: '0',
      // As in the fault bench: the rendered products look alike to the model, so matching strictly on
      // the image keeps one product per photo; the default would merge them into a few giant products.
      GROKCAT_CATALOG_MATCH_THRESHOLD: '0.99',
      GROKCAT_CATALOG_TEXT_WEIGHT: '0',
    },
    cwd: home,
  });
  const system = await startSystem({ config, log: args.log, services: ['enricher', 'cataloger'] }).catch(
    async (error: unknown) => {
      await native?.drop();
      throw error;
    },
  );
  try {
    args.onStep?.(`${photos} product photos`);
    const imageRoot = path.join(home, 'images');
    await writeBenchPhotos(imageRoot, photos);
    const feed = await openListingFeed({
      bus: system.bus,
      config,
      imageRoot,
      photos,
      prefix: 'growth',
      photoOf: (i) => Math.floor(i / LISTINGS_PER_PRODUCT),
    });
    const cpu = () => ({ process: ownCpuSeconds(), server: native ? postgresServerCpuSeconds() : 0 });
    const products = async () => {
      const row = await system.database
        .knex('products')
        .whereNull('merged_into')
        .count<{ n: string }[]>({ n: '*' })
        .first();
      return Number(row?.n ?? 0);
    };
    const points: GrowthPoint[] = [];
    for (const size of [...args.sizes].sort((a, b) => a - b)) {
      while (feed.published() < size) {
        const n = Math.min(FILL_CHUNK, size - feed.published());
        args.onStep?.(`filling the catalogue: ${feed.published() + n} of ${size} listings`);
        await feed.publish(n);
        await feed.drained();
      }
      args.onStep?.(`${args.window} listings into a catalogue of ${size}`);
      const before = cpu();
      const started = Date.now();
      await feed.publish(args.window);
      await feed.drained();
      const seconds = (Date.now() - started) / 1000;
      const after = cpu();
      const perListing = (s: number) => round((s * 1000) / args.window);
      const processMs = perListing(after.process - before.process);
      const serverMs = perListing(after.server - before.server);
      points.push({
        catalogue_listings: size,
        products: await products(),
        window: args.window,
        seconds: round(seconds),
        wall_ms_per_listing: perListing(seconds),
        cpu_ms_per_listing: {
          process: processMs,
          database_server: serverMs,
          total: round(processMs + serverMs),
        },
      });
    }
    await feed.stop();
    const first = points[0];
    const last = points.at(-1);
    return {
      database: native ? 'postgresql' : 'pglite',
      bus: 'embedded',
      points,
      cpu_ratio: first && last ? round(last.cpu_ms_per_listing.total / first.cpu_ms_per_listing.total, 2) : 0,
      wall_ratio: first && last ? round(last.wall_ms_per_listing / first.wall_ms_per_listing, 2) : 0,
    };
  } finally {
    await system.stop();
    await native?.drop();
    rmSync(home, { recursive: true, force: true });
  }
}
