import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { TOPICS } from '../../shared/events/topics.ts';
import { waitFor } from '../support/bus-contract.ts';
import { REPO_ROOT, runCli, startCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome } from '../support/temp-home.ts';

// The README's recipe for the whole system on librdkafka's mock cluster, followed command by command.
const { home, cleanup } = tempHome();
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children.reverse()) {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  cleanup();
});

function recipe(): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- recipe: kafka-mock');
  const end = readme.indexOf('<!-- end of recipe -->', start);
  assert.ok(start >= 0 && end > start, 'the README has the kafka-mock recipe');
  return readme.slice(start, end);
}

test("the README's recipe: grokcat start on the Kafka mock, the demo through it, topics read from the brokers", async () => {
  const commands = recipe();
  for (const line of [
    'npx grokcat kafka-mock --grokcat-topics',
    'KAFKA_TIMESTAMP_LOOKUP=false',
    'npx grokcat start',
    'npx grokcat topics list',
    'npx grokcat topics dead-letters listings.created',
  ]) {
    assert.ok(commands.includes(line), `the recipe says ${line}`);
  }
  // Terminal 1.
  const mock = await startCli(['kafka-mock', '--grokcat-topics'], cleanEnv(), /KAFKA_BROKERS=\S+/);
  children.push(mock.child);
  const brokers = /KAFKA_BROKERS=(\S+)/.exec(mock.output().stdout)?.[1] as string;
  // Terminal 2 (a small demo, and a free port, so that the test stays short).
  const env = cleanEnv({
    GROKCAT_HOME: home,
    KAFKA_BROKERS: brokers,
    KAFKA_TIMESTAMP_LOOKUP: 'false',
    GROKCAT_DEMO_SEED_LISTINGS: '8',
  });
  const grokcat = await startCli(['start'], env, /grokcat is running/, { timeoutMs: 120_000 });
  children.push(grokcat.child);
  await waitFor(
    'the demo marketplace seeded',
    () => /demo marketplace seeded/.test(grokcat.output().stderr),
    180_000,
  );
  // Terminal 3.
  const listed = await runCli(['topics', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const topics = (listed.json as { topics: { topic: string; partitions: number; messages: number }[] })
    .topics;
  const byName = new Map(topics.map((t) => [t.topic, t]));
  for (const topic of Object.values(TOPICS)) {
    assert.equal(byName.get(topic)?.partitions, 8, `${topic} made by the mock`);
    assert.ok(byName.has(`${topic}.dlq`), `${topic}.dlq made by the mock`);
  }
  assert.ok((byName.get(TOPICS.listingsCreated)?.messages ?? 0) >= 8);
  assert.ok((byName.get(TOPICS.listingsCataloged)?.messages ?? 0) >= 1, 'listings cataloged through Kafka');
  const letters = await runCli(['topics', 'dead-letters', 'listings.created', '--json'], env);
  assert.equal(letters.code, 0, letters.stderr);
  // Every topic exists, so `topics create` has nothing to do on this mock.
  const create = await runCli(['topics', 'create', '--json'], env);
  assert.equal(create.code, 0, create.stderr);
  assert.deepEqual((create.json as { created: unknown[] }).created, []);
});
