import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import { type Config, loadConfig } from '../../shared/config/load-config.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { renderLargePhoto } from '../../shared/image/product-render.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { ensureModel } from '../../shared/model/model-store.ts';
import { startSystem } from '../system/system.ts';
import { listingValue } from './faults/fault-ground-truth.ts';
import { startImageHost } from './faults/image-host.ts';

export interface PhotoFloodResult {
  listings: number;
  photos: number;
  photo_bytes_total_mb: number;
  fetch_concurrency: number;
  max_bytes_in_flight_mb: number;
  baseline_rss_mb: number;
  peak_rss_mb: number;
  growth_mb: number;
  /** The stated bound on growth: twice GROKCAT_IMAGE_MAX_BYTES_IN_FLIGHT plus 256 MiB of decoding and model work. */
  bound_mb: number;
  within_bound: boolean;
  enriched: number;
  seconds: number;
}

const MB = 1024 * 1024;
const rssMb = () => process.memoryUsage().rss / MB;

/**
 * `grokcat bench photo-flood`: a flood of listings with many large photos each, through the enricher
 * and cataloger in this process (embedded database and bus), photos served over HTTP from 127.0.0.1.
 * The process's resident memory is sampled throughout; the fetch limits must keep its growth under
 * the stated bound however many photos are queued. `unbounded` lifts the limits, for comparison.
 */
export async function runPhotoFloodBench(options: {
  config: Config;
  log: Logger;
  listings: number;
  photosPerListing: number;
  unbounded?: boolean;
}): Promise<PhotoFloodResult> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'grokcat-flood-'));
  const distinct = await Promise.all(Array.from({ length: 8 }, (_, i) => renderLargePhoto(i + 1)));
  const names = new Map<string, Buffer>();
  for (let l = 0; l < options.listings; l++)
    for (let p = 0; p < options.photosPerListing; p++)
      names.set(`l${l}-p${p}.jpg`, distinct[(l + p) % distinct.length] as Buffer);
  const host = await startImageHost(names);
  const model = await ensureModel(options.config, options.log);
  const config = loadConfig({
    env: {
      PATH: process.env.PATH ?? '',
      GROKCAT_HOME: home,
      GROKCAT_MODEL: path.dirname(model.onnxPath),
      GROKCAT_HTTP_PORT: '0',
      GROKCAT_IMAGE_ALLOW_HOSTS: '127.0.0.1',
      GROKCAT_IMAGE_FETCH_TIMEOUT_MS: '120000',
      ...(options.unbounded
        ? {
            GROKCAT_IMAGE_FETCH_CONCURRENCY: '1024',
            GROKCAT_IMAGE_MAX_BYTES_IN_FLIGHT: String(16 * 1024 * MB),
          }
        : {}),
    },
    cwd: home,
  });
  const system = await startSystem({ config, log: options.log, services: ['enricher', 'cataloger'] });
  try {
    const publisher = createEventPublisher({ bus: system.bus, codec: openCodec(config) });
    const listing = (l: number) => ({
      topic: TOPICS.listingsCreated,
      key: `flood-${l}`,
      value: listingValue(
        {
          id: `flood-${l}`,
          fate: 'cataloged',
          expectedCode: null,
          photos: Array.from({ length: options.photosPerListing }, (_, p) => ({
            kind: 'http' as const,
            name: `l${l}-p${p}.jpg`,
          })),
          title: `flood listing ${l}`,
          price: 1000 + l,
          update: null,
        },
        (photo) => host.url(photo.name),
        'first',
      ),
    });
    const enrichedCount = async () =>
      Number((await system.database.knex('enrichments').count({ n: '*' }).first())?.n ?? 0);
    // Warm-up: one listing through, so the model, pools and caches are in the baseline.
    await publisher.publish([listing(0)]);
    while ((await enrichedCount()) < 1) await sleep(200);
    global.gc?.();
    await sleep(500);
    const baseline = rssMb();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb());
    }, 100);
    const started = Date.now();
    await publisher.publish(Array.from({ length: options.listings - 1 }, (_, i) => listing(i + 1)));
    const deadline = Date.now() + 30 * 60_000;
    let enriched = 1;
    while (enriched < options.listings && Date.now() < deadline) {
      await sleep(500);
      enriched = await enrichedCount();
    }
    clearInterval(sampler);
    const growth = peak - baseline;
    const bound = (2 * config.image.maxBytesInFlight) / MB + 256;
    const totalBytes = [...names.values()].reduce((sum, b) => sum + b.length, 0);
    return {
      listings: options.listings,
      photos: names.size,
      photo_bytes_total_mb: Math.round(totalBytes / MB),
      fetch_concurrency: config.image.fetchConcurrency,
      max_bytes_in_flight_mb: Math.round(config.image.maxBytesInFlight / MB),
      baseline_rss_mb: Math.round(baseline),
      peak_rss_mb: Math.round(peak),
      growth_mb: Math.round(growth),
      bound_mb: Math.round(bound),
      within_bound: growth <= bound,
      enriched,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await system.stop();
    await host.close();
    rmSync(home, { recursive: true, force: true });
  }
}
