import { type Consumer, startConsumer } from '../../shared/bus/consumer-runtime.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { createCatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import {
  createListingFailureRepository,
  recordListingFailures,
} from '../../shared/catalog/listing-failures.repository.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { embeddingSpace } from '../../shared/model/grok/model-card.ts';
import { createModelRegistry } from '../../shared/model/model-registry.repository.ts';
import { createLabelsRepository } from '../../shared/training/labels.repository.ts';
import type { ServiceDependencies } from '../system/service-dependencies.ts';
import { configuredMatchSettings, type MatchSettings } from './canonicalize.ts';
import { createCataloger } from './cataloger.ts';
import { createMatchLabelHandler, thresholdFromLabels } from './match-labels.ts';

export const CATALOGER_GROUP = 'grokcat-cataloger';

/** The cataloger's handler over the catalogue and the bus (also for replays). */
export function catalogerOf(deps: ServiceDependencies, settings: () => MatchSettings) {
  return createCataloger({
    catalog: createCatalogRepository(deps.database.knex),
    publisher: createEventPublisher({ bus: deps.bus, codec: deps.codec }),
    settings,
    neighbours: deps.config.catalog.neighbours,
    log: deps.log,
  });
}

/**
 * The cataloger consuming listings.enriched, and labels.product_match in a group of its own (a
 * person's judgement applies at once). The match threshold is the configured default unless enough
 * product-match labels exist in the serving model's space to calibrate it (checked at start).
 */
export async function startCatalogerService(
  deps: ServiceDependencies,
): Promise<{ consumers: Consumer[]; settings: () => MatchSettings; stop(): Promise<void> }> {
  const { config } = deps;
  const log = deps.log.child({ service: 'cataloger' });
  const catalog = createCatalogRepository(deps.database.knex);
  let settings: MatchSettings = configuredMatchSettings(config.catalog);
  const serving = await createModelRegistry(deps.database.knex).serving();
  if (serving) {
    const calibrated = await thresholdFromLabels(catalog, embeddingSpace(serving.card), settings.textWeight);
    if (calibrated) settings = { ...settings, threshold: calibrated.threshold };
    log.info(
      { threshold: settings.threshold, calibrated },
      calibrated
        ? 'match threshold calibrated from product-match labels'
        : 'match threshold: configured default',
    );
  }
  const cataloger = catalogerOf({ ...deps, log }, () => settings);
  const common = {
    bus: deps.bus,
    codec: deps.codec,
    log,
    retry: config.consumer.retry,
    maxBatchSize: config.consumer.maxBatch,
    fromBeginning: true,
    heartbeatMs: config.consumer.heartbeatMs,
  };
  const consumers = [
    await startConsumer({
      ...common,
      group: CATALOGER_GROUP,
      topics: [TOPICS.listingsEnriched],
      handler: cataloger.handleEnriched,
      onDeadLettered: recordListingFailures(createListingFailureRepository(deps.database.knex)),
    }),
    await startConsumer({
      ...common,
      group: `${CATALOGER_GROUP}-labels`,
      topics: [TOPICS.labelsProductMatch],
      handler: createMatchLabelHandler({ catalog, labels: createLabelsRepository(deps.database.knex) }),
    }),
  ];
  return {
    consumers,
    settings: () => settings,
    async stop() {
      for (const consumer of consumers) await consumer.stop();
    },
  };
}
