import type { Bus } from '../../shared/bus/bus.ts';
import { openBus, openCodec } from '../../shared/bus/open-bus.ts';
import type { Config } from '../../shared/config/load-config.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { startApiService } from '../api/api.service.ts';
import { startCatalogerService } from '../cataloger/cataloger.service.ts';
import { startEnricherService } from '../enricher/enricher.service.ts';
import { startTrainerService } from '../trainer/trainer.service.ts';
import type { Trainer } from '../trainer/trainer.ts';

export interface System {
  readonly database: Database;
  readonly bus: Bus;
  readonly trainer: Trainer;
  /** Where the API and console answer; null when started without them. */
  readonly apiUrl: string | null;
  stop(): Promise<void>;
}

/**
 * Everything `grokcat start` runs in one process on the embedded defaults: the database, migrated,
 * the bus with every topic, the trainer, the enricher, the cataloger and the api; the api and the
 * enricher stop first, so nothing new enters while the others finish their batches.
 */
export async function startSystem({
  config,
  log,
  api = true,
}: {
  config: Config;
  log: Logger;
  api?: boolean;
}): Promise<System> {
  const database = await openDatabase(config, { log: log.child({ component: 'db' }) });
  log.info(
    { database: database.kind, location: database.location, home: config.home },
    database.kind === 'embedded'
      ? `embedded database at ${database.location}`
      : `database at ${database.location}`,
  );
  const bus = openBus(config, { database, log });
  await ensureTopics(bus, config);
  log.info({ bus: bus.kind, brokers: config.bus.kafka?.brokers }, `event bus: ${bus.kind}`);
  const codec = openCodec(config);
  const services = { config, database, bus, codec, log };
  const trainer = await startTrainerService(services);
  const enricher = await startEnricherService(services);
  const cataloger = await startCatalogerService(services);
  // The api shares the enricher's model runtime: uploads join the enricher's batches.
  const http = api ? await startApiService({ ...services, runtime: enricher.runtime }) : null;
  return {
    database,
    bus,
    trainer: trainer.trainer,
    apiUrl: http?.url ?? null,
    async stop() {
      await http?.stop();
      await enricher.stop();
      await cataloger.stop();
      await trainer.stop();
      await bus.close();
      await database.close();
    },
  };
}

/** Every topic and its dead-letter topic on the embedded bus; Kafka topics are the operators' to create. */
export async function ensureTopics(bus: Bus, config: Config): Promise<void> {
  if (bus.kind !== 'embedded') return;
  const topics = Object.values(TOPICS).flatMap((topic) => [topic, deadLetterTopic(topic)]);
  await bus.createTopics(topics.map((topic) => ({ topic, partitions: config.bus.partitions })));
}
