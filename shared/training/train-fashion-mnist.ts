import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from '../log/logger.ts';
import { exportGrokModel } from '../model/grok/export-grok-model.ts';
import { saveHeadWeights } from '../model/grok/head-weights.ts';
import { type ModelFiles, readModelFolder } from '../model/model-store.ts';
import {
  balancedIndices,
  FASHION_MNIST_CLASSES,
  type FashionMnistSplit,
  readFashionMnist,
} from '../model/reference/fashion-mnist.ts';
import { fashionMnistCard } from '../model/reference/fashion-mnist-card.ts';
import { multiHot, REFERENCE_ATTRIBUTES, REFERENCE_QUERIES } from '../model/reference/reference-taxonomy.ts';
import {
  EMBEDDING_DIM,
  extract,
  REFERENCE_TRUNK,
  randomOrthogonalProjection,
} from '../model/reference/train-reference-heads.ts';
import { createFeatureCacheRepository } from './feature-cache.repository.ts';
import { createFeatureExtractor, type FeatureExtractor } from './feature-extractor.ts';
import { trainHeads } from './train-heads.ts';

const GEM_P = 3;

/** Shared features of these images, from the cache where present; the rest are extracted and cached. */
async function featuresOf(
  split: FashionMnistSplit,
  indices: number[],
  extractor: FeatureExtractor,
  knex: Knex,
  log: Logger,
): Promise<Float32Array> {
  const cache = createFeatureCacheRepository(knex, extractor.id);
  const ids = indices.map((i) =>
    createHash('sha256')
      .update(split.images.subarray(i * 784, (i + 1) * 784))
      .digest('hex'),
  );
  const idOf = new Map(indices.map((index, k) => [index, ids[k] as string]));
  const cached = await cache.getMany(ids);
  const missing = indices.filter((_, k) => !cached.has(ids[k] as string));
  log.info({ images: indices.length, cached: cached.size, missing: missing.length }, 'shared features');
  for (let start = 0; start < missing.length; start += 2048) {
    const chunk = missing.slice(start, start + 2048);
    const extracted = await extract(split, chunk, extractor, log);
    const rows = chunk.map((index, k) => ({
      imageSha256: idOf.get(index) as string,
      features: extracted.slice(k * extractor.dims, (k + 1) * extractor.dims),
    }));
    await cache.put(rows);
    for (const row of rows) cached.set(row.imageSha256, row.features);
  }
  const out = new Float32Array(indices.length * extractor.dims);
  ids.forEach((id, k) => {
    out.set(cached.get(id) ?? new Float32Array(extractor.dims), k * extractor.dims);
  });
  return out;
}

function topK(
  features: Float32Array,
  dims: number,
  weight: Float32Array,
  bias: Float32Array,
  labels: number[],
) {
  const classes = bias.length;
  let top1 = 0;
  let top5 = 0;
  for (let i = 0; i < labels.length; i++) {
    const logits = Array.from({ length: classes }, (_, c) => {
      let sum = bias[c] as number;
      for (let d = 0; d < dims; d++)
        sum += (features[i * dims + d] as number) * (weight[d * classes + c] as number);
      return sum;
    });
    const ranked = [...logits.keys()].sort((a, b) => (logits[b] as number) - (logits[a] as number));
    if (ranked[0] === labels[i]) top1 += 1;
    if (ranked.slice(0, 5).includes(labels[i] as number)) top5 += 1;
  }
  return { top1: top1 / labels.length, top5: top5 / labels.length };
}

/**
 * `grokcat train --dataset fashion-mnist`: heads trained on the cached shared features of the
 * Fashion-MNIST training images (all 60,000 by default), evaluated on the 10,000 test images, and
 * written as a new candidate model version (folder under GROKCAT_HOME/models and a model_versions row).
 */
export async function trainOnFashionMnist(args: {
  home: string;
  knex: Knex;
  log: Logger;
  perClass?: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
}): Promise<{ files: ModelFiles; metrics: Record<string, number>; trainImages: number }> {
  const { knex, log } = args;
  const train = readFashionMnist('train');
  const test = readFashionMnist('t10k');
  const trainIndices = args.perClass
    ? balancedIndices(train, args.perClass)
    : Array.from({ length: train.count }, (_, i) => i);
  const testIndices = Array.from({ length: test.count }, (_, i) => i);
  const extractor = await createFeatureExtractor(REFERENCE_TRUNK.name, REFERENCE_TRUNK.cut, GEM_P);
  let trainFeatures: Float32Array;
  let testFeatures: Float32Array;
  try {
    trainFeatures = await featuresOf(train, trainIndices, extractor, knex, log);
    testFeatures = await featuresOf(test, testIndices, extractor, knex, log);
  } finally {
    await extractor.release();
  }
  const dims = extractor.dims;
  const categories = trainIndices.map((i) => train.labels[i] as number);
  const heads = await trainHeads(
    {
      features: trainFeatures,
      count: trainIndices.length,
      dims,
      categories: Int32Array.from(categories),
      categoryCount: FASHION_MNIST_CLASSES.length,
      attributes: Float32Array.from(categories.flatMap((c) => multiHot(c, REFERENCE_ATTRIBUTES))),
      attributeCount: REFERENCE_ATTRIBUTES.length,
      queries: Float32Array.from(categories.flatMap((c) => multiHot(c, REFERENCE_QUERIES))),
      queryCount: REFERENCE_QUERIES.length,
      products: new Int32Array(trainIndices.length).fill(-1),
      productCount: 0,
    },
    {
      epochs: args.epochs,
      batchSize: args.batchSize,
      learningRate: args.learningRate,
      weights: { category: 1, attributes: 0.5, queries: 0.5, arcface: 0, pairwise: 0 },
      embedding: {
        inputs: dims,
        outputs: EMBEDDING_DIM,
        weight: randomOrthogonalProjection(dims, EMBEDDING_DIM, 2020),
        bias: new Float32Array(EMBEDDING_DIM),
      },
      embeddingDim: EMBEDDING_DIM,
      gemP: GEM_P,
      arcface: { margin: 0.5, scale: 30 },
      pairwise: { positiveMargin: 0.3, negativeMargin: 1.0 },
      seed: 7,
      log,
    },
  );
  const scores = topK(
    testFeatures,
    dims,
    heads.category.weight,
    heads.category.bias,
    testIndices.map((i) => test.labels[i] as number),
  );
  const metrics = {
    fashion_mnist_top1: Number(scores.top1.toFixed(4)),
    fashion_mnist_top5: Number(scores.top5.toFixed(4)),
  };
  log.info({ ...metrics, train: trainIndices.length, test: testIndices.length }, 'trained on Fashion-MNIST');

  const version = `fmnist-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
  const folder = path.join(args.home, 'models', version);
  mkdirSync(folder, { recursive: true });
  const exported = exportGrokModel({
    trunk: REFERENCE_TRUNK.name,
    cut: REFERENCE_TRUNK.cut,
    heads,
    metadata: { 'grokcat.version': version },
  });
  writeFileSync(path.join(folder, 'model.onnx.tmp'), exported.bytes);
  renameSync(path.join(folder, 'model.onnx.tmp'), path.join(folder, 'model.onnx'));
  saveHeadWeights(path.join(folder, 'heads'), heads);
  const card = fashionMnistCard({
    version,
    description: 'Heads trained by grokcat train on Fashion-MNIST over the nsfwjs MobileNetV2 trunk.',
    inputSize: extractor.inputSize,
    embeddingDim: EMBEDDING_DIM,
    trunk: { name: REFERENCE_TRUNK.name, cut: REFERENCE_TRUNK.cut, macs_per_image: exported.macs },
    gemP: GEM_P,
    training: {
      data: `Fashion-MNIST, ${trainIndices.length} training images, inverted to dark-on-white`,
      samples: trainIndices.length,
      command: `grokcat train --dataset fashion-mnist${args.perClass ? ` --per-class ${args.perClass}` : ''} --epochs ${args.epochs}`,
    },
    metrics,
  });
  writeFileSync(path.join(folder, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  const files = readModelFolder(folder);
  await knex('model_versions')
    .insert({
      version,
      status: 'candidate',
      artifact_uri: `file://${files.onnxPath}`,
      sha256: files.sha256,
      card,
      metrics,
    })
    .onConflict('version')
    .ignore();
  return { files, metrics, trainImages: trainIndices.length };
}
