import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs } from './consumer-runtime.ts';

test('backoff grows exponentially, is capped, and jitters over the whole window', () => {
  const policy = { baseMs: 100, maxMs: 1000 };
  assert.equal(
    backoffMs(1, policy, () => 0.999999),
    100,
  );
  assert.equal(
    backoffMs(2, policy, () => 0.999999),
    200,
  );
  assert.equal(
    backoffMs(3, policy, () => 0.999999),
    400,
  );
  assert.equal(
    backoffMs(10, policy, () => 0.999999),
    1000,
    'capped at maxMs',
  );
  assert.equal(
    backoffMs(5, policy, () => 0),
    0,
    'full jitter reaches zero',
  );
  const spread = new Set(Array.from({ length: 50 }, () => backoffMs(4, policy)));
  assert.ok(spread.size > 10, 'random jitter spreads the retries');
  for (const value of spread) assert.ok(value >= 0 && value <= 800);
});
