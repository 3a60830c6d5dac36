import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Bus } from '../../shared/bus/bus.ts';
import { createEmbeddedBus } from '../../shared/bus/embedded/embedded-bus.ts';
import { createKafkaBus } from '../../shared/bus/kafka/kafka-bus.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import { createSingleObjectCodec, type EventCodec } from '../../shared/events/event-codec.ts';
import { loadSchemaCatalogue } from '../../shared/events/schema-catalogue.ts';
import { type KafkaMock, startKafkaMock } from './kafka-mock.ts';
import { cleanEnv, tempHome, testConfig, testLogger } from './temp-home.ts';

/** Short timeouts so rebalances and dead members are noticed within seconds in tests. */
export const FAST_CONSUMER = { sessionTimeoutMs: 6000, heartbeatMs: 500, retryBackoffMs: 300 };

export interface BusHarness {
  kind: 'embedded' | 'kafka';
  bus: Bus;
  codec: EventCodec;
  /** A topic name unique to this run: `t-<random>.<name>`, read with `<name>`'s schema. */
  topic(name: string, partitions?: number): Promise<string>;
  group(): string;
  /** Another, independent client of the same bus (a second process would have one). */
  newBus(): Bus;
  /** Environment for a child process that should reach the same bus. */
  childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  mock: KafkaMock | null;
  close(): Promise<void>;
}

const random = () => randomBytes(4).toString('hex');
const codec = createSingleObjectCodec(loadSchemaCatalogue());
const consumerEnv = {
  GROKCAT_CONSUMER_SESSION_TIMEOUT_MS: String(FAST_CONSUMER.sessionTimeoutMs),
  GROKCAT_CONSUMER_HEARTBEAT_MS: String(FAST_CONSUMER.heartbeatMs),
  GROKCAT_CONSUMER_RETRY_MAX_MS: String(FAST_CONSUMER.retryBackoffMs),
  GROKCAT_CONSUMER_RETRY_BASE_MS: '20',
};

/** The variables of a grokcat on the Kafka mock in a test: its brokers, no time lookup, fast consumers. */
export const kafkaTestVariables = (bootstrap: string): Record<string, string> => ({
  KAFKA_BROKERS: bootstrap,
  KAFKA_TIMESTAMP_LOOKUP: 'false',
  ...consumerEnv,
});

export async function createEmbeddedHarness(): Promise<BusHarness> {
  const { home, cleanup } = tempHome('grokcat-bus-');
  const database: Database = await openDatabase(testConfig({ GROKCAT_HOME: home }), { log: testLogger() });
  const buses: Bus[] = [];
  const newBus = () => {
    const bus = createEmbeddedBus({
      knex: database.knex,
      log: testLogger(),
      wakeupDir: path.join(home, 'run', 'bus'),
      defaultPartitions: 4,
      retentionMs: null,
      consumer: { ...FAST_CONSUMER, pollMs: 500 },
    });
    buses.push(bus);
    return bus;
  };
  const bus = newBus();
  return {
    kind: 'embedded',
    bus,
    codec,
    async topic(name, partitions = 4) {
      const topic = `t-${random()}.${name}`;
      await bus.createTopics([{ topic, partitions }]);
      return topic;
    },
    group: () => `g-${random()}`,
    newBus,
    childEnv: (extra = {}) =>
      cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn', ...consumerEnv, ...extra }),
    mock: null,
    async close() {
      for (const b of buses) await b.close();
      await database.close();
      cleanup();
    },
  };
}

export async function createKafkaHarness(): Promise<BusHarness> {
  const mock = await startKafkaMock(3);
  const buses: Bus[] = [];
  const newBus = () => {
    const bus = createKafkaBus({
      brokers: mock.brokers,
      clientId: 'grokcat-test',
      ssl: false,
      sasl: null,
      timestampLookup: false,
      log: testLogger(),
      consumer: FAST_CONSUMER,
    });
    buses.push(bus);
    return bus;
  };
  const bus = newBus();
  return {
    kind: 'kafka',
    bus,
    codec,
    async topic(name, partitions = 4) {
      const topic = `t-${random()}.${name}`;
      await mock.createTopic(topic, partitions);
      return topic;
    },
    group: () => `g-${random()}`,
    newBus,
    childEnv: (extra = {}) =>
      cleanEnv({ ...kafkaTestVariables(mock.bootstrap), GROKCAT_LOG_LEVEL: 'warn', ...extra }),
    mock,
    async close() {
      for (const b of buses) await b.close().catch(() => {});
      await mock.stop();
    },
  };
}
