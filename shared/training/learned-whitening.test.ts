import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retrievalRecallAt1 } from './evaluation-metrics.ts';
import { embeddingsOf } from './head-outputs.ts';
import { learnedWhitening } from './learned-whitening.ts';
import { seededGaussian } from './seeded-random.ts';

// Products differ slightly in axes 0 and 1 (points on a small circle); photos of one product vary a
// lot along axis 2 (say, lighting), and every feature shares a large constant (axis 3), as ReLU
// features do.
function photos(products: number[], seed: number) {
  const noise = seededGaussian(seed);
  const features = new Float32Array(products.length * 4);
  products.forEach((p, r) => {
    const angle = (2 * Math.PI * p) / 8;
    features.set(
      [0.2 * Math.cos(angle) + 0.01 * noise(), 0.2 * Math.sin(angle) + 0.01 * noise(), 2 * noise(), 5],
      r * 4,
    );
  });
  return features;
}

test('learnedWhitening: suppresses the within-product direction, so unseen photos find their product', () => {
  const train = Array.from({ length: 400 }, (_, i) => i % 8);
  const projection = learnedWhitening({
    features: photos(train, 1),
    dims: 4,
    products: Int32Array.from(train),
    outputs: 2,
    shrinkage: 0.01,
    seed: 1,
  });
  const identity = {
    inputs: 4,
    outputs: 4,
    weight: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
    bias: new Float32Array(4),
  };
  const gallery = [0, 1, 2, 3, 4, 5, 6, 7];
  const queries = Array.from({ length: 80 }, (_, i) => i % 8);
  const recall = (dense: typeof projection) =>
    retrievalRecallAt1({
      queries: embeddingsOf(photos(queries, 2), queries.length, dense),
      queryProducts: queries.map(String),
      gallery: embeddingsOf(photos(gallery, 3), gallery.length, dense),
      galleryProducts: gallery.map(String),
      dims: dense.outputs,
    });
  assert.ok(recall(identity) < 0.4, `raw features: ${recall(identity)}`);
  assert.ok(recall(projection) > 0.9, `whitened: ${recall(projection)}`);
  // The nuisance axis barely reaches the output: its row of the projection is tiny.
  const w = projection.weight;
  const row = (i: number) => Math.hypot(w[i * 2] as number, w[i * 2 + 1] as number);
  assert.ok(row(0) > 100 * row(2), `product axis ${row(0)}, nuisance axis ${row(2)}`);
});

test('learnedWhitening: refuses rows without any product of two photos', () => {
  assert.throws(
    () =>
      learnedWhitening({
        features: new Float32Array(6),
        dims: 3,
        products: Int32Array.from([0, 1]),
        outputs: 2,
        shrinkage: 0.1,
        seed: 1,
      }),
    /at least two rows/,
  );
});
