import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregatePhotos } from './photo-aggregation.ts';

const raw = (category: number[], attributes: number[], queries: number[], embedding: number[]) => ({
  category: Float32Array.from(category),
  attributes: Float32Array.from(attributes),
  queries: Float32Array.from(queries),
  embedding: Float32Array.from(embedding),
});

test('aggregatePhotos: mean category, max attributes and queries, re-normalised mean embedding', () => {
  const front = raw([0.8, 0.2], [0.9, 0.1], [0.2], [1, 0]);
  const back = raw([0.4, 0.6], [0.3, 0.7], [0.6], [0, 1]);
  const listing = aggregatePhotos([front, back]);
  assert.deepEqual(
    [...listing.category].map((v) => Number(v.toFixed(4))),
    [0.6, 0.4],
  );
  assert.deepEqual(
    [...listing.attributes].map((v) => Number(v.toFixed(4))),
    [0.9, 0.7],
  );
  assert.deepEqual(
    [...listing.queries].map((v) => Number(v.toFixed(4))),
    [0.6],
  );
  for (const v of listing.embedding) assert.ok(Math.abs(v - Math.SQRT1_2) < 1e-6);
});

test('aggregatePhotos: one photo is passed through; none is an error', () => {
  const only = raw([1, 0], [0.5], [0.5], [0.6, 0.8]);
  assert.equal(aggregatePhotos([only]), only);
  assert.throws(() => aggregatePhotos([]), /at least one photo/);
});
