import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFetchLimiter } from './fetch-limiter.ts';

test('bytes in flight never exceed the budget; reservations are served in order', async () => {
  const limiter = createFetchLimiter({ concurrency: 10, maxBytes: 100 });
  let most = 0;
  const order: number[] = [];
  await Promise.all(
    [60, 30, 50, 20, 90].map((bytes, i) =>
      limiter.run(async (reserve) => {
        await reserve(bytes);
        order.push(i);
        most = Math.max(most, limiter.stats().bytesInFlight);
        await sleep(20);
      }),
    ),
  );
  assert.ok(most <= 100, `${most} bytes in flight`);
  assert.deepEqual(order, [0, 1, 2, 3, 4], 'first come, first served');
  assert.deepEqual(limiter.stats(), { active: 0, waiting: 0, bytesInFlight: 0 });
});

test('a reservation larger than the budget runs alone instead of waiting forever', async () => {
  const limiter = createFetchLimiter({ concurrency: 4, maxBytes: 100 });
  const seen: number[] = [];
  await Promise.all([
    limiter.run(async (reserve) => {
      await reserve(50);
      await sleep(20);
    }),
    limiter.run(async (reserve) => {
      await reserve(500);
      seen.push(limiter.stats().bytesInFlight);
    }),
  ]);
  assert.deepEqual(seen, [100]);
});

test('a fetch that fails while waiting for bytes gives back its slot and leaves the queue', async () => {
  const limiter = createFetchLimiter({ concurrency: 1, maxBytes: 100 });
  const holder = limiter.run(async (reserve) => {
    await reserve(100);
    await sleep(30);
  });
  const waiting = createFetchLimiter({ concurrency: 2, maxBytes: 100 });
  const first = waiting.run(async (reserve) => {
    await reserve(100);
    await sleep(30);
  });
  const failed = waiting.run(async (reserve) => {
    await Promise.race([reserve(80), sleep(5).then(() => Promise.reject(new Error('timed out')))]);
  });
  await assert.rejects(failed, /timed out/);
  await Promise.all([holder, first]);
  assert.deepEqual(waiting.stats(), { active: 0, waiting: 0, bytesInFlight: 0 });
  // Slots: the second run waits for the first.
  let concurrent = 0;
  let most = 0;
  await Promise.all(
    [1, 2, 3].map(() =>
      limiter.run(async () => {
        concurrent += 1;
        most = Math.max(most, concurrent);
        await sleep(5);
        concurrent -= 1;
      }),
    ),
  );
  assert.equal(most, 1);
});
