import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rankScenes, type Scene, sceneMetrics } from './room-scene-eval.ts';

const unit = (values: number[]) => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

// Product "hub" sits between every scene's regions; each scene really shows one of a, b, c, d.
const catalogue = [
  { id: 'hub', embedding: unit([1, 1, 1, 1, 0]) },
  { id: 'a', embedding: unit([1, 0, 0, 0, 0.2]) },
  { id: 'b', embedding: unit([0, 1, 0, 0, 0.2]) },
  { id: 'c', embedding: unit([0, 0, 1, 0, 0.2]) },
  { id: 'd', embedding: unit([0, 0, 0, 1, 0.2]) },
];
const scene = (axis: number, id: string): Scene => {
  const at = (weight: number) => unit([0, 1, 2, 3].map((i) => (i === axis ? weight : 0.45)).concat(0));
  return { shows: new Set([id]), regions: [at(1), at(1.2), at(0.9)] };
};
const scenes = [scene(0, 'a'), scene(1, 'b'), scene(2, 'c'), scene(3, 'd'), scene(0, 'a'), scene(1, 'b')];

test('uncorrected, the product between all scenes is the top answer of every scene', () => {
  const ranking = rankScenes(catalogue, scenes, { poolRegions: 0, k: 2, top: 1 });
  assert.deepEqual(
    ranking.uncorrected,
    scenes.map(() => ['hub']),
  );
  assert.deepEqual(ranking.corrected, ranking.uncorrected, 'no pool, no correction');
  assert.deepEqual(sceneMetrics(scenes, ranking.uncorrected), {
    recall_at_5: 0,
    distinct_products_ranked: 1,
    top_product_share: 1,
  });
});

test('corrected against the scenes before it, each scene finds what it shows; the first scene has no pool yet', () => {
  const ranking = rankScenes(catalogue, scenes, { poolRegions: 12, k: 2, top: 1 });
  assert.deepEqual(ranking.corrected, [['hub'], ['b'], ['c'], ['d'], ['a'], ['b']]);
  assert.deepEqual(sceneMetrics(scenes, ranking.corrected), {
    recall_at_5: 0.8333,
    distinct_products_ranked: 5,
    top_product_share: 0.3333,
  });
});
