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
  // What has started, stopped in reverse order: on shutdown, and when a later step fails to start
  // (a busy port must not leave consumers running in a process that cannot serve).
  const started: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop();
  };
  try {
    const database = await openDatabase(config, { log: log.child({ component: 'db' }) });
    started.push(() => database.close());
    log.info(
      { database: database.kind, location: database.location, home: config.home },
      database.kind === 'embedded'
        ? `embedded database at ${database.location}`
        : `database at ${database.location}`,
    );
    const bus = openBus(config, { database, log });
    started.push(() => bus.close());
    await ensureTopics(bus, config);
    log.info({ bus: bus.kind, brokers: config.bus.kafka?.brokers }, `event bus: ${bus.kind}`);
    const codec = openCodec(config);
    const services = { config, database, bus, codec, log };
    const trainer = await startTrainerService(services);
    started.push(() => trainer.stop());
    const cataloger = await startCatalogerService(services);
    started.push(() => cataloger.stop());
    const enricher = await startEnricherService(services);
    started.push(() => enricher.stop());
    // The api shares the enricher's model runtime: uploads join the enricher's batches.
    const http = api ? await startApiService({ ...services, runtime: enricher.runtime }) : null;
    if (http) started.push(() => http.stop());
    return { database, bus, trainer: trainer.trainer, apiUrl: http?.url ?? null, stop: stopAll };
  } catch (error) {
    await stopAll().catch((stopError) =>
      log.error({ err: stopError }, 'stopping after a failed start failed'),
    );
    throw error;
  }
}

/** Every topic and its dead-letter topic on the embedded bus; Kafka topics are the operators' to create. */
export async function ensureTopics(bus: Bus, config: Config): Promise<void> {
  if (bus.kind !== 'embedded') return;
  const topics = Object.values(TOPICS).flatMap((topic) => [topic, deadLetterTopic(topic)]);
  await bus.createTopics(topics.map((topic) => ({ topic, partitions: config.bus.partitions })));
}
