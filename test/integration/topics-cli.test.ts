import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { toDeadLetter } from '../../shared/bus/dead-letter.ts';
import { openBus } from '../../shared/bus/open-bus.ts';
import { openDatabase } from '../../shared/db/open-database.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { runCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome, testConfig, testLogger } from '../support/temp-home.ts';

const { home, cleanup } = tempHome();
after(cleanup);

interface CreateResult {
  created: { topic: string; partitions: number; retention_ms: number | null }[];
  existing: { topic: string; partitions: number }[];
}

test('grokcat topics create, list and dead-letters on the embedded bus', async () => {
  const env = cleanEnv({
    GROKCAT_HOME: home,
    GROKCAT_BUS_PARTITIONS: '3',
    GROKCAT_DLQ_RETENTION_HOURS: '48',
  });
  const dry = await runCli(['topics', 'create', '--dry-run', '--json'], env);
  assert.equal(dry.code, 0, dry.stderr);
  const planned = (dry.json as CreateResult).created;
  assert.equal(planned.length, 2 * Object.keys(TOPICS).length);

  const first = await runCli(['topics', 'create', '--json'], env);
  assert.equal(first.code, 0, first.stderr);
  const created = (first.json as CreateResult).created;
  assert.deepEqual(
    created.find((t) => t.topic === 'listings.created.dlq'),
    { topic: 'listings.created.dlq', partitions: 3, retention_ms: 48 * 3_600_000 },
  );
  const again = await runCli(['topics', 'create', '--json'], env);
  assert.equal((again.json as CreateResult).created.length, 0, 'a second run creates nothing');
  assert.equal((again.json as CreateResult).existing.length, created.length);

  // Two dead letters, as the consumer runtime writes them.
  const config = testConfig({ GROKCAT_HOME: home });
  const database = await openDatabase(config, { log: testLogger() });
  const bus = openBus(config, { database, log: testLogger() });
  const original = {
    topic: TOPICS.listingsCreated,
    partition: 1,
    key: 'bad-1',
    value: Buffer.from('x'),
    headers: {},
    timestamp: Date.now(),
  };
  await bus.publish([
    toDeadLetter({ ...original, offset: '7' }, new GrokcatError('EVENT_UNDECODABLE', 'not Avro'), 'enricher'),
    toDeadLetter(
      { ...original, offset: '9', key: 'bad-2' },
      new GrokcatError('LISTING_NO_USABLE_IMAGE', 'no photo could be used'),
      'enricher',
    ),
  ]);
  await bus.close();
  await database.close();

  const listed = await runCli(['topics', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const dlq = (
    listed.json as { topics: { topic: string; messages: number; partitions: number }[] }
  ).topics.find((t) => t.topic === 'listings.created.dlq');
  assert.deepEqual({ messages: dlq?.messages, partitions: dlq?.partitions }, { messages: 2, partitions: 3 });

  const letters = await runCli(['topics', 'dead-letters', 'listings.created', '--json'], env);
  assert.equal(letters.code, 0, letters.stderr);
  const report = letters.json as {
    total: number;
    by_code: Record<string, number>;
    messages: { key: string; code: string; origin: string }[];
  };
  assert.equal(report.total, 2);
  assert.deepEqual(report.by_code, { EVENT_UNDECODABLE: 1, LISTING_NO_USABLE_IMAGE: 1 });
  assert.deepEqual(report.messages.map((m) => [m.key, m.origin]).sort(), [
    ['bad-1', 'listings.created/1/7'],
    ['bad-2', 'listings.created/1/9'],
  ]);
  const human = await runCli(['topics', 'dead-letters', 'listings.created.dlq'], env);
  assert.match(
    human.stdout,
    /grokcat replay --topic listings.created.dlq --from earliest --republish listings.created/,
  );
});
