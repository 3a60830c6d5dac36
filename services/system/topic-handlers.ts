import type { Bus } from '../../shared/bus/bus.ts';
import type { EventHandler } from '../../shared/bus/consumer-runtime.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { createCatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import type { Config } from '../../shared/config/load-config.ts';
import type { Database } from '../../shared/db/open-database.ts';
import type { EventCodec } from '../../shared/events/event-codec.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { createImageFetcher, fetchPolicy } from '../../shared/image/image-fetcher.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import { createLabelsRepository } from '../../shared/training/labels.repository.ts';
import { createCataloger } from '../cataloger/cataloger.ts';
import { createEnricher } from '../enricher/enricher.ts';
import { createLabelHandler, LABEL_TOPICS } from '../trainer/label-handler.ts';

export interface HandlerDependencies {
  config: Config;
  database: Database;
  bus: Bus;
  codec: EventCodec;
  log: Logger;
  /** The serving model, for replays of listings.created and photos.uploaded. */
  runtime?: ModelRuntime;
}

/**
 * The handler each service runs for the topics it consumes, by topic, so that `grokcat replay`
 * re-processes a range exactly as the service would. The services register here as they arrive
 * (enricher: listings.created and photos.uploaded, given a model runtime; cataloger: listings.enriched;
 * trainer: labels.*).
 */
export function topicHandlers(dependencies: HandlerDependencies): Partial<Record<string, EventHandler>> {
  // Replayed labels are stored (idempotently) and counted towards the next run.
  const labels = createLabelHandler({
    labels: createLabelsRepository(dependencies.database.knex),
    onStored: () => {},
  });
  const { config, database, bus, codec, log, runtime } = dependencies;
  const catalog = createCatalogRepository(database.knex);
  const publisher = createEventPublisher({ bus, codec });
  const cataloger = createCataloger({
    catalog,
    publisher,
    settings: () => ({ threshold: config.catalog.matchThreshold, textWeight: config.catalog.textWeight }),
    neighbours: config.catalog.neighbours,
    log,
  });
  const enricher = runtime
    ? createEnricher({
        runtime,
        fetcher: createImageFetcher(fetchPolicy(config)),
        catalog,
        publisher,
        tagThreshold: config.catalog.tagThreshold,
        log,
      })
    : null;
  return {
    ...Object.fromEntries(Object.keys(LABEL_TOPICS).map((topic) => [topic, labels])),
    [TOPICS.listingsEnriched]: cataloger.handleEnriched,
    ...(enricher
      ? { [TOPICS.listingsCreated]: enricher.handleListings, [TOPICS.photosUploaded]: enricher.handlePhotos }
      : {}),
  };
}
