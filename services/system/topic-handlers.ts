import type { Bus } from '../../shared/bus/bus.ts';
import type { EventHandler } from '../../shared/bus/consumer-runtime.ts';
import type { Config } from '../../shared/config/load-config.ts';
import type { Database } from '../../shared/db/open-database.ts';
import type { EventCodec } from '../../shared/events/event-codec.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { createLabelsRepository } from '../../shared/training/labels.repository.ts';
import { createLabelHandler, LABEL_TOPICS } from '../trainer/label-handler.ts';

export interface HandlerDependencies {
  config: Config;
  database: Database;
  bus: Bus;
  codec: EventCodec;
  log: Logger;
}

/**
 * The handler each service runs for the topics it consumes, by topic, so that `grokcat replay`
 * re-processes a range exactly as the service would. The services register here as they arrive
 * (enricher: listings.created and photos.uploaded; cataloger: listings.enriched; trainer: labels.*).
 */
export function topicHandlers(dependencies: HandlerDependencies): Partial<Record<string, EventHandler>> {
  // Replayed labels are stored (idempotently) and counted towards the next run.
  const labels = createLabelHandler({
    labels: createLabelsRepository(dependencies.database.knex),
    onStored: () => {},
  });
  return Object.fromEntries(Object.keys(LABEL_TOPICS).map((topic) => [topic, labels]));
}
