import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmbeddedBus } from '../../shared/bus/embedded/embedded-bus.ts';
import { openDatabase } from '../../shared/db/open-database.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

test('the embedded log deletes records past retention; offsets keep counting', async () => {
  const { home, cleanup } = tempHome();
  const database = await openDatabase(testConfig({ GROKCAT_HOME: home }), { log: testLogger() });
  const bus = createEmbeddedBus({
    knex: database.knex,
    log: testLogger(),
    wakeupDir: null,
    defaultPartitions: 1,
    retentionMs: 300,
    retentionSweepMs: 100,
    consumer: { heartbeatMs: 200, sessionTimeoutMs: 2000, pollMs: 200, retryBackoffMs: 100 },
  });
  try {
    await bus.publish([1, 2, 3].map((i) => ({ topic: 'retained', key: 'k', value: Buffer.from([i]) })));
    assert.deepEqual(await bus.partitionBounds('retained'), [{ partition: 0, low: '0', high: '3' }]);
    await sleep(800);
    assert.deepEqual(await bus.partitionBounds('retained'), [{ partition: 0, low: '3', high: '3' }]);
    await bus.publish([{ topic: 'retained', key: 'k', value: Buffer.from([4]) }]);
    assert.deepEqual(await bus.partitionBounds('retained'), [{ partition: 0, low: '3', high: '4' }]);
  } finally {
    await bus.close();
    await database.close();
    cleanup();
  }
});
