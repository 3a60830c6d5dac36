import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gemPool, l2Normalize, nearestNeighbourAccuracy } from './feature-eval.ts';

test('GeM pooling is the mean at p=1, tends to the max as p grows, and clamps negatives', () => {
  const map = new Float32Array([1, 2, 3, 4, -5, 0, 0, 10]); // 2 channels x 4 pixels
  const p1 = gemPool(map, 2, 1, 0);
  assert.ok(Math.abs((p1[0] as number) - 2.5) < 1e-6);
  const p3 = gemPool(map, 2, 3);
  assert.ok(Math.abs((p3[0] as number) - ((1 + 8 + 27 + 64) / 4) ** (1 / 3)) < 1e-5);
  assert.ok(Math.abs((p3[1] as number) - (1000 / 4) ** (1 / 3)) < 1e-3, 'negative values count as eps');
  const p50 = gemPool(map, 2, 50);
  assert.ok(Math.abs((p50[0] as number) - 4) < 0.2);
});

test('nearest-neighbour accuracy counts same-label neighbours and skips singleton labels', () => {
  const v = (x: number, y: number) => l2Normalize(new Float32Array([x, y]));
  const vectors = [v(1, 0), v(0.9, 0.1), v(0, 1), v(0.1, 0.9), v(1, 1)];
  assert.equal(nearestNeighbourAccuracy(vectors, ['a', 'a', 'b', 'b', 'solo']), 1);
  assert.equal(nearestNeighbourAccuracy(vectors, ['a', 'b', 'a', 'b', 'solo']), 0);
});
