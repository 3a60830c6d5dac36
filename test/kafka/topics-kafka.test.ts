import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { toDeadLetter } from '../../shared/bus/dead-letter.ts';
import { openBus } from '../../shared/bus/open-bus.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { FAST_CONSUMER } from '../support/bus-harness.ts';
import { runCli } from '../support/cli-process.ts';
import { type KafkaMock, startKafkaMock } from '../support/kafka-mock.ts';
import { cleanEnv, tempHome, testConfig, testLogger } from '../support/temp-home.ts';

// The mock cluster has no CreateTopics, so `topics create` is run with --dry-run here: what exists
// (with its partitions) is read from the brokers, and what is missing is named.
let mock: KafkaMock;
const { home, cleanup } = tempHome();
before(async () => {
  mock = await startKafkaMock(1);
  await mock.createTopic(TOPICS.listingsCreated, 8);
  await mock.createTopic(`${TOPICS.listingsCreated}.dlq`, 2);
  await mock.createTopic(TOPICS.listingsEnriched, 3);
});
after(async () => {
  await mock?.stop();
  cleanup();
});

test('grokcat topics on Kafka: create names what exists and what is missing; list and dead-letters read the brokers', async () => {
  const vars = {
    GROKCAT_HOME: home,
    KAFKA_BROKERS: mock.bootstrap,
    KAFKA_TIMESTAMP_LOOKUP: 'false',
    GROKCAT_CONSUMER_SESSION_TIMEOUT_MS: String(FAST_CONSUMER.sessionTimeoutMs),
    GROKCAT_CONSUMER_HEARTBEAT_MS: String(FAST_CONSUMER.heartbeatMs),
  };
  const env = cleanEnv(vars);
  const dry = await runCli(['topics', 'create', '--dry-run', '--json'], env);
  assert.equal(dry.code, 0, dry.stderr);
  const result = dry.json as {
    bus: string;
    created: { topic: string }[];
    existing: { topic: string; partitions: number; planned: number }[];
    fewer_partitions: string[];
  };
  assert.equal(result.bus, 'kafka');
  assert.deepEqual(
    result.existing.map((t) => [t.topic, t.partitions]),
    [
      ['listings.created', 8],
      ['listings.created.dlq', 2],
      ['listings.enriched', 3],
    ],
  );
  assert.deepEqual(result.fewer_partitions, ['listings.created.dlq', 'listings.enriched']);
  assert.equal(result.created.length, 2 * Object.keys(TOPICS).length - 3);
  // Without --dry-run: the mock has no CreateTopics; said plainly, exit 3, and what to run instead.
  const create = await runCli(['topics', 'create', '--json'], env);
  assert.equal(create.code, 3, create.stderr);
  const failure = (create.json as { error: { code: string; message: string } }).error;
  assert.equal(failure.code, 'BUS_UNSUPPORTED');
  assert.match(failure.message, /no CreateTopics/);
  assert.match(failure.message, /grokcat kafka-mock --topics \S*listings\.enriched\.dlq:8/);
  assert.doesNotMatch(create.stderr, /at .*kafkajs/, 'no stack trace');

  const config = testConfig(vars);
  const bus = openBus(config, { database: null, log: testLogger() });
  const original = {
    topic: TOPICS.listingsCreated,
    partition: 4,
    key: 'bad-k',
    value: Buffer.from('?'),
    headers: {},
    timestamp: Date.now(),
  };
  await bus.publish([
    toDeadLetter(
      { ...original, offset: '12' },
      new GrokcatError('EVENT_SCHEMA_UNKNOWN', 'unknown fingerprint'),
      'enricher',
    ),
  ]);
  await bus.close();

  const listed = await runCli(['topics', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const topics = (listed.json as { topics: { topic: string; partitions: number; messages: number }[] })
    .topics;
  assert.deepEqual(
    topics.find((t) => t.topic === 'listings.created.dlq'),
    { topic: 'listings.created.dlq', partitions: 2, messages: 1 },
  );
  const letters = await runCli(['topics', 'dead-letters', 'listings.created', '--json'], env);
  assert.equal(letters.code, 0, letters.stderr);
  const report = letters.json as { total: number; messages: { key: string; code: string; origin: string }[] };
  assert.equal(report.total, 1);
  assert.deepEqual(
    { key: report.messages[0]?.key, code: report.messages[0]?.code, origin: report.messages[0]?.origin },
    { key: 'bad-k', code: 'EVENT_SCHEMA_UNKNOWN', origin: 'listings.created/4/12' },
  );
});
