import type { EventHandler } from '../../shared/bus/consumer-runtime.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import { createLabelsRepository } from '../../shared/training/labels.repository.ts';
import { configuredMatchSettings } from '../cataloger/canonicalize.ts';
import { catalogerOf } from '../cataloger/cataloger.service.ts';
import { enricherOf } from '../enricher/enricher.service.ts';
import { createLabelHandler, LABEL_TOPICS } from '../trainer/label-handler.ts';
import type { ServiceDependencies } from './service-dependencies.ts';

export interface HandlerDependencies extends ServiceDependencies {
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
  const { config, runtime } = dependencies;
  const cataloger = catalogerOf(dependencies, () => configuredMatchSettings(config.catalog));
  const enricher = runtime ? enricherOf(dependencies, runtime) : null;
  return {
    ...Object.fromEntries(Object.keys(LABEL_TOPICS).map((topic) => [topic, labels])),
    [TOPICS.listingsEnriched]: cataloger.handleEnriched,
    ...(enricher
      ? { [TOPICS.listingsCreated]: enricher.handleListings, [TOPICS.photosUploaded]: enricher.handlePhotos }
      : {}),
  };
}
