import { type Consumer, startConsumer } from '../../shared/bus/consumer-runtime.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { createCatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import {
  createListingFailureRepository,
  recordListingFailures,
} from '../../shared/catalog/listing-failures.repository.ts';
import { createPagePhotoRegionRepository } from '../../shared/catalog/page-photo-regions.repository.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { createImageFetcher, fetchPolicy } from '../../shared/image/image-fetcher.ts';
import { createModelRegistry, ensureServingModel } from '../../shared/model/model-registry.repository.ts';
import { createModelRuntime, type ModelRuntime, runtimeOptions } from '../../shared/model/model-runtime.ts';
import { watchServingModel } from '../../shared/model/model-watcher.ts';
import type { ServiceDependencies } from '../system/service-dependencies.ts';
import { createEnricher } from './enricher.ts';

export const ENRICHER_GROUP = 'grokcat-enricher';

/** The enricher's handlers over the configured image fetcher, the catalogue and the bus (also for replays). */
export function enricherOf(deps: ServiceDependencies, runtime: ModelRuntime) {
  return createEnricher({
    runtime,
    fetcher: createImageFetcher(fetchPolicy(deps.config)),
    catalog: createCatalogRepository(deps.database.knex),
    publisher: createEventPublisher({ bus: deps.bus, codec: deps.codec }),
    regions: createPagePhotoRegionRepository(deps.database.knex),
    tagThreshold: deps.config.catalog.tagThreshold,
    tagHubPool: deps.config.catalog.tagHubPool,
    log: deps.log,
  });
}

/** The enricher: the serving model (hot-swapped), a consumer of listings.created and photos.uploaded. */
export async function startEnricherService(
  deps: ServiceDependencies & {
    /** A runtime the process already has (grokcat start shares one with the api). */
    runtime?: ModelRuntime;
  },
): Promise<{ runtime: ModelRuntime; consumer: Consumer; stop(): Promise<void> }> {
  const { config } = deps;
  const log = deps.log.child({ service: 'enricher' });
  const files = await ensureServingModel(config, deps.database.knex, log);
  // Enrichments reference their model version: a pinned model (GROKCAT_MODEL) is registered too.
  await createModelRegistry(deps.database.knex).register(files, { status: 'candidate' });
  const runtime = deps.runtime ?? (await createModelRuntime(files, runtimeOptions(config), log));
  const watcher = config.model.path
    ? null
    : await watchServingModel({ bus: deps.bus, codec: deps.codec, runtime, config, log });
  const enricher = enricherOf({ ...deps, log }, runtime);
  const consumer = await startConsumer({
    bus: deps.bus,
    codec: deps.codec,
    log,
    group: ENRICHER_GROUP,
    topics: [TOPICS.listingsCreated, TOPICS.photosUploaded],
    handler: async (events, ctx) =>
      ctx.topic === TOPICS.photosUploaded
        ? enricher.handlePhotos(events, ctx)
        : enricher.handleListings(events, ctx),
    retry: config.consumer.retry,
    maxBatchSize: config.consumer.maxBatch,
    fromBeginning: true,
    heartbeatMs: config.consumer.heartbeatMs,
    onDeadLettered: recordListingFailures(createListingFailureRepository(deps.database.knex)),
  });
  log.info({ model: runtime.version }, 'enricher started');
  return {
    runtime,
    consumer,
    async stop() {
      await consumer.stop();
      await watcher?.stop();
      if (!deps.runtime) await runtime.close();
    },
  };
}
