import type { Bus } from '../../shared/bus/bus.ts';
import { openBus } from '../../shared/bus/open-bus.ts';
import type { Config } from '../../shared/config/load-config.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import type { Logger } from '../../shared/log/logger.ts';

export interface System {
  readonly database: Database;
  readonly bus: Bus;
  stop(): Promise<void>;
}

/**
 * Everything `grokcat start` runs in one process on the embedded defaults. For now: the database,
 * migrated, and the bus with every topic. Later services (enricher, cataloger, trainer, api) are
 * started here and stopped in reverse order.
 */
export async function startSystem({ config, log }: { config: Config; log: Logger }): Promise<System> {
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
  return {
    database,
    bus,
    async stop() {
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
