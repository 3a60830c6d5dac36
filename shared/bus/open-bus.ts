import path from 'node:path';
import type { Config } from '../config/load-config.ts';
import type { Database } from '../db/open-database.ts';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { createConfluentCodec, createSingleObjectCodec, type EventCodec } from '../events/event-codec.ts';
import { loadSchemaCatalogue } from '../events/schema-catalogue.ts';
import type { Logger } from '../log/logger.ts';
import type { Bus } from './bus.ts';
import { createEmbeddedBus } from './embedded/embedded-bus.ts';
import { createKafkaBus } from './kafka/kafka-bus.ts';

/**
 * Kafka when KAFKA_BROKERS is set, else the embedded log in grokcat's database (which it then needs;
 * Kafka tools such as `grokcat topics` need none).
 */
export function openBus(config: Config, { database, log }: { database: Database | null; log: Logger }): Bus {
  const busLog = log.child({ component: 'bus' });
  const { consumer } = config;
  if (config.bus.kafka) {
    return createKafkaBus({
      ...config.bus.kafka,
      log: busLog,
      consumer: {
        sessionTimeoutMs: consumer.sessionTimeoutMs,
        heartbeatMs: consumer.heartbeatMs,
        retryBackoffMs: consumer.retry.maxMs,
        minBytes: consumer.minBytes,
        maxWaitMs: consumer.maxWaitMs,
      },
      partitionsConsumedConcurrently: consumer.concurrency,
      defaultPartitions: config.bus.partitions,
    });
  }
  if (!database) throw new GrokcatError('INTERNAL', 'the embedded bus needs the database');
  return createEmbeddedBus({
    knex: database.knex,
    log: busLog,
    wakeupDir: path.join(config.home, 'run', 'bus'),
    defaultPartitions: config.bus.partitions,
    retentionMs: config.bus.retentionMs,
    consumer: {
      heartbeatMs: consumer.heartbeatMs,
      sessionTimeoutMs: consumer.sessionTimeoutMs,
      pollMs: 1000,
      retryBackoffMs: consumer.retry.maxMs,
    },
  });
}

/** Avro single-object encoding by default; the Confluent wire format when SCHEMA_REGISTRY_URL is set. */
export function openCodec(config: Config): EventCodec {
  const catalogue = loadSchemaCatalogue();
  return config.bus.schemaRegistryUrl
    ? createConfluentCodec(catalogue, config.bus.schemaRegistryUrl)
    : createSingleObjectCodec(catalogue);
}
