import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../log/logger.ts';
import type { Dense } from '../model/grok/head-weights.ts';
import { randomOrthogonalProjection } from '../model/reference/train-reference-heads.ts';
import { trainHeads } from './train-heads.ts';

/** 3 categories x 5 products x 6 photos in 16 dimensions: products are tight clusters inside categories. */
function synthetic() {
  let state = 9;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31 - 0.5;
  };
  const dims = 16;
  const count = 90;
  const features = new Float32Array(count * dims);
  const categories = new Int32Array(count);
  const products = new Int32Array(count);
  const attributes = new Float32Array(count * 2);
  const queries = new Float32Array(count * 3);
  const productCentres = Array.from({ length: 15 }, (_, p) =>
    Float32Array.from({ length: dims }, (_, d) => (d === Math.floor(p / 5) ? 2 : 0) + random()),
  );
  for (let i = 0; i < count; i++) {
    const product = Math.floor(i / 6);
    const category = Math.floor(product / 5);
    categories[i] = category;
    products[i] = product;
    attributes[i * 2 + (category === 0 ? 0 : 1)] = 1;
    queries[i * 3 + category] = 1;
    const centre = productCentres[product] as Float32Array;
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const v = (centre[d] as number) + random() * 0.3;
      features[i * dims + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < dims; d++)
      features[i * dims + d] = (features[i * dims + d] as number) / Math.sqrt(norm);
  }
  return {
    features,
    count,
    dims,
    categories,
    categoryCount: 3,
    attributes,
    attributeCount: 2,
    queries,
    queryCount: 3,
    products,
    productCount: 15,
  };
}

test('trains the heads with all four losses: categories learned, same-product embeddings pulled together', async () => {
  const set = synthetic();
  const embedding = {
    inputs: 16,
    outputs: 8,
    weight: randomOrthogonalProjection(16, 8, 3),
    bias: new Float32Array(8),
  };
  const { heads } = await trainHeads(set, {
    epochs: 40,
    batchSize: 30,
    learningRate: 0.05,
    weights: { category: 1, attributes: 0.5, queries: 0.5, arcface: 0.5, pairwise: 0.5 },
    embedding,
    embeddingDim: 8,
    gemP: 3,
    arcface: { margin: 0.3, scale: 8 },
    pairwise: { positiveMargin: 0.2, negativeMargin: 1.0 },
    seed: 1,
    log: silentLogger(),
  });
  const project = (row: number, dense: typeof heads.category) =>
    Array.from({ length: dense.outputs }, (_, o) => {
      let sum = dense.bias[o] as number;
      for (let d = 0; d < dense.inputs; d++)
        sum += (set.features[row * set.dims + d] as number) * (dense.weight[d * dense.outputs + o] as number);
      return sum;
    });
  let right = 0;
  for (let i = 0; i < set.count; i++) {
    const logits = project(i, heads.category);
    if (logits.indexOf(Math.max(...logits)) === set.categories[i]) right += 1;
  }
  assert.ok(right / set.count >= 0.95, `category accuracy ${right / set.count}`);
  assert.notDeepEqual(
    [...heads.embedding.weight],
    [...embedding.weight],
    'product labels train the embedding',
  );
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const cosine = (a: number, b: number) => {
    const [x, y] = [unit(project(a, heads.embedding)), unit(project(b, heads.embedding))];
    return x.reduce((sum, v, k) => sum + v * (y[k] as number), 0);
  };
  // rows 0-5 are product 0; row 6 is product 1 of the same category; row 36 another category
  const same = cosine(0, 1);
  assert.ok(
    same > cosine(0, 6) && same > cosine(0, 36),
    `same product ${same} vs ${cosine(0, 6)}, ${cosine(0, 36)}`,
  );
});

/**
 * Photos as the trunk gives them: all-positive, L2-normalised, one shared direction and small
 * class-dependent offsets around it (cosine about 0.97 between any two). Four classes that a
 * linear head separates exactly, once the shared part is taken out.
 */
function nearlyParallel(count: number, seed: number) {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const dims = 24;
  const features = new Float32Array(count * dims);
  const categories = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const category = i % 4;
    categories[i] = category;
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const v = 1 + 0.02 * random() + (d === category ? 0.06 : 0);
      features[i * dims + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < dims; d++)
      features[i * dims + d] = (features[i * dims + d] as number) / Math.sqrt(norm);
  }
  return {
    features,
    count,
    dims,
    categories,
    categoryCount: 4,
    attributes: new Float32Array(count),
    attributeCount: 1,
    queries: new Float32Array(count),
    queryCount: 1,
    products: new Int32Array(count).fill(-1),
    productCount: 0,
  };
}

const accuracy = (set: ReturnType<typeof nearlyParallel>, dense: Dense) => {
  let right = 0;
  for (let i = 0; i < set.count; i++) {
    const logits = Array.from({ length: dense.outputs }, (_, o) => {
      let sum = dense.bias[o] as number;
      for (let d = 0; d < dense.inputs; d++)
        sum += (set.features[i * set.dims + d] as number) * (dense.weight[d * dense.outputs + o] as number);
      return sum;
    });
    if (logits.indexOf(Math.max(...logits)) === set.categories[i]) right += 1;
  }
  return right / set.count;
};

test('a linear head separates nearly parallel trunk-like features, on held-out rows, with the standardiser folded in', async () => {
  const train = nearlyParallel(400, 5);
  const heldOut = nearlyParallel(200, 77);
  const { heads, selection } = await trainHeads(train, {
    epochs: 40,
    batchSize: 64,
    learningRate: 0.01,
    weights: { category: 1, attributes: 0, queries: 0, arcface: 0, pairwise: 0 },
    embedding: {
      inputs: 24,
      outputs: 8,
      weight: randomOrthogonalProjection(24, 8, 3),
      bias: new Float32Array(8),
    },
    embeddingDim: 8,
    gemP: 3,
    arcface: { margin: 0.3, scale: 8 },
    pairwise: { positiveMargin: 0.2, negativeMargin: 1.0 },
    seed: 3,
    log: silentLogger(),
  });
  // The heads read raw features: the standardisation lives inside their weights.
  const score = accuracy(heldOut, heads.category);
  assert.ok(score >= 0.95, `held-out accuracy ${score}`);
  assert.ok(selection.validation_rows > 0 && selection.tried.length === 3, JSON.stringify(selection));
  assert.ok(selection.epochs >= 1 && selection.epochs <= 40);
});
