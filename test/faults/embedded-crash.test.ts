import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  benchPhotoCount,
  deadLetterOf,
  publishPlan,
  writeBenchPhotos,
} from '../../services/bench/faults/fault-bench.ts';
import {
  catalogedCount,
  type DeadLetterSeen,
  type PlannedListing,
  planFaultRun,
} from '../../services/bench/faults/fault-ground-truth.ts';
import { verifyUntilSettled } from '../../services/bench/faults/fault-verify.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { openBus, openCodec } from '../../shared/bus/open-bus.ts';
import { openDatabase } from '../../shared/db/open-database.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import { waitFor } from '../support/bus-contract.ts';
import { startCli, waitForExit } from '../support/cli-process.ts';
import { cleanEnv, tempHome, testConfig, testLogger } from '../support/temp-home.ts';

const { home, cleanup } = tempHome('grokcat-crash-');
after(cleanup);

const vars = {
  GROKCAT_HOME: home,
  GROKCAT_DEMO_SEED_LISTINGS: '0',
  GROKCAT_LOG_LEVEL: 'info',
  GROKCAT_CONSUMER_SESSION_TIMEOUT_MS: '3000',
  GROKCAT_CONSUMER_HEARTBEAT_MS: '500',
  GROKCAT_CONSUMER_RETRY_BASE_MS: '50',
  GROKCAT_CONSUMER_RETRY_MAX_MS: '1000',
};

/**
 * `grokcat start` owning the embedded database and bus: killing it kills Postgres too. Restarted as a
 * supervisor would: a start that finds the machine too busy exits 3 (unavailable) and is tried again.
 */
async function startGrokcat(): Promise<Awaited<ReturnType<typeof startCli>>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCli(
        ['start', '--services', 'enricher,cataloger'],
        cleanEnv(vars),
        /grokcat is running/,
        {
          timeoutMs: 180_000,
        },
      );
    } catch (error) {
      if (attempt >= 3 || !/exited with 3/.test(String(error))) throw error;
    }
  }
}

test('the embedded bus through crash-restart cycles: grokcat start SIGKILLed mid-flow three times, nothing lost or duplicated', async () => {
  await writeBenchPhotos(path.join(home, 'images'), benchPhotoCount(400));
  let grokcat = await startGrokcat();
  const config = testConfig(vars);
  const log = testLogger();
  // This process joins the database grokcat serves; its connections die with each kill and reconnect.
  const database = await openDatabase(config, { log, migrate: false });
  const bus = openBus(config, { database, log });
  const codec = openCodec(config);
  const plan = planFaultRun(400, benchPhotoCount(400));
  const uriOf = (photo: PlannedListing['photos'][number]) =>
    pathToFileURL(path.join(home, 'images', photo.kind === 'hang' ? 'missing.png' : photo.name)).href;
  const events = await publishPlan({
    plan,
    bus,
    publisher: createEventPublisher({ bus, codec }),
    uriOf,
    rate: 2000,
  });
  const good = plan.listings.filter((l) => l.fate === 'cataloged').length;
  const progress = async () => (await catalogedCount(database.knex, plan.run).catch(() => 0)) / good;

  for (const at of [0.15, 0.4, 0.65]) {
    await waitFor(`${at * 100}% cataloged`, async () => (await progress()) >= at, 180_000);
    grokcat.child.kill('SIGKILL');
    await waitForExit(grokcat.child);
    grokcat = await startGrokcat();
  }
  const deadLetters: DeadLetterSeen[] = [];
  const dlq = await bus.subscribe({
    group: `crash-dlq-${plan.run}`,
    topics: [deadLetterTopic(TOPICS.listingsCreated), deadLetterTopic(TOPICS.listingsEnriched)],
    fromBeginning: true,
    onBatch: async (batch) => {
      deadLetters.push(...batch.messages.map(deadLetterOf));
      return batch.messages.at(-1)?.offset ?? null;
    },
  });
  try {
    const verdict = await verifyUntilSettled({
      knex: database.knex,
      plan,
      deadLetters,
      progress,
      deadline: Date.now() + 240_000,
    });
    assert.ok(events > plan.listings.length);
    assert.deepEqual(verdict.problems, []);
    assert.equal(verdict.lost, 0);
    assert.equal(verdict.duplicated, 0);
    assert.equal(verdict.order_violations, 0);
    assert.equal(verdict.wrongly_dead_lettered, 0);
    assert.equal(verdict.dead_lettered, verdict.dead_lettered_expected);
  } finally {
    await dlq.stop();
    await bus.close();
    await database.close();
    grokcat.child.kill('SIGTERM');
    await waitForExit(grokcat.child);
  }
});
