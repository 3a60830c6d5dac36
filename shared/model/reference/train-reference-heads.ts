import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../../log/logger.ts';
import { fitIsotonic, thresholdForPrecision } from '../../training/calibration.ts';
import { topKAccuracy } from '../../training/evaluation-metrics.ts';
import { createFeatureExtractor } from '../../training/feature-extractor.ts';
import { headOutputs } from '../../training/head-outputs.ts';
import { fitNovelty, noveltyScores, noveltyThreshold } from '../../training/open-set.ts';
import { sanityMetrics } from '../../training/sanity-metrics.ts';
import { seededGaussian } from '../../training/seeded-random.ts';
import { trainHeads } from '../../training/train-heads.ts';
import type { HeadWeights } from '../grok/head-weights.ts';
import type { ModelCard } from '../grok/model-card.ts';
import { balancedIndices, FASHION_MNIST_CLASSES, readFashionMnist } from './fashion-mnist.ts';
import { fashionMnistCard } from './fashion-mnist-card.ts';
import { learnReferenceEmbedding } from './reference-embedding.ts';
import { greyFeatures, referenceFeatures } from './reference-features.ts';
import { multiHot, REFERENCE_ATTRIBUTES, REFERENCE_QUERIES } from './reference-taxonomy.ts';

export const REFERENCE_TRUNK = { name: 'mobilenet_v2', cut: 'block_13_expand_relu' } as const;
export const REFERENCE_INPUT = { size: 224, mean: [0, 0, 0], std: [1, 1, 1], fit: 'contain' } as const;
/** 256 like GrokNet's embedding (and its 256-bit code): small for pgvector, enough for products. */
export const EMBEDDING_DIM = 256;
const GEM_P = 3;

export interface ReferenceTraining {
  heads: HeadWeights;
  card: ModelCard;
}

/** In-distribution photos declared unknown: 1 % of held-out Fashion-MNIST images. */
export const REFERENCE_NOVELTY_QUANTILE = 0.99;

/** Columns of a seeded Gaussian matrix, orthonormalised (Gram-Schmidt): distances survive the projection. */
export function randomOrthogonalProjection(inputs: number, outputs: number, seed: number): Float32Array {
  const gaussian = seededGaussian(seed);
  const columns = Array.from({ length: outputs }, () => Float64Array.from({ length: inputs }, gaussian));
  for (let j = 0; j < outputs; j++) {
    const column = columns[j] as Float64Array;
    for (let k = 0; k < j; k++) {
      const previous = columns[k] as Float64Array;
      let dot = 0;
      for (let i = 0; i < inputs; i++) dot += (column[i] as number) * (previous[i] as number);
      for (let i = 0; i < inputs; i++) column[i] = (column[i] as number) - dot * (previous[i] as number);
    }
    const norm = Math.hypot(...column);
    for (let i = 0; i < inputs; i++) column[i] = (column[i] as number) / norm;
  }
  const weight = new Float32Array(inputs * outputs);
  for (let i = 0; i < inputs; i++)
    for (let j = 0; j < outputs; j++) weight[i * outputs + j] = (columns[j] as Float64Array)[i] as number;
  return weight;
}

/**
 * Trains the reference heads through the trainer's own trainHeads (standardised features, learning
 * rate and epochs chosen on validation rows, categories with softmax cross-entropy, the derived
 * attributes and queries with multi-label softmax) on `perClass` Fashion-MNIST training images per
 * class, each as a grey thumbnail and a colour render. The next `devPerClass` training images of
 * each class are the dev rows: attribute and query thresholds, calibration and the open-set
 * threshold are chosen on them; the test images only measure.
 */
export async function trainReferenceHeads(args: {
  perClass: number;
  devPerClass?: number;
  /** Fashion-MNIST images per class photographed twice to learn the embedding (default 200). */
  embeddingPerClass?: number;
  testPerClass: number;
  epochs: number;
  log: Logger;
  fashionMnistDir?: string;
}): Promise<ReferenceTraining> {
  const { log } = args;
  tf.env().set('PROD', true);
  const train = readFashionMnist('train', args.fashionMnistDir);
  const test = readFashionMnist('t10k', args.fashionMnistDir);
  const trainIndices = balancedIndices(train, args.perClass);
  const taken = new Set(trainIndices);
  const devIndices = balancedIndices(train, args.perClass + (args.devPerClass ?? 100)).filter(
    (i) => !taken.has(i),
  );
  const testIndices = balancedIndices(test, args.testPerClass);
  const extractor = await createFeatureExtractor(REFERENCE_TRUNK.name, REFERENCE_TRUNK.cut, GEM_P);
  const dims = extractor.dims;
  const xTrain = await referenceFeatures(train, trainIndices, extractor, log, 11);
  const xDev = await referenceFeatures(train, devIndices, extractor, log, 12);
  const xTest = await greyFeatures(test, testIndices, extractor);
  // Each index gives two rows (grey, colour), in that order.
  const labelsOf = (split: typeof train, indices: number[], views: number) =>
    Int32Array.from(indices.flatMap((i) => new Array<number>(views).fill(split.labels[i] as number)));
  const yTrain = labelsOf(train, trainIndices, 2);
  const yDev = labelsOf(train, devIndices, 2);
  const yTest = labelsOf(test, testIndices, 1);
  const targets = (labels: Int32Array, entries: { classes: readonly string[] }[]) =>
    Float32Array.from([...labels].flatMap((c) => multiHot(c, entries)));

  const { heads: trained, selection } = await trainHeads(
    {
      features: xTrain,
      count: yTrain.length,
      dims,
      categories: yTrain,
      categoryCount: FASHION_MNIST_CLASSES.length,
      attributes: targets(yTrain, REFERENCE_ATTRIBUTES),
      attributeCount: REFERENCE_ATTRIBUTES.length,
      queries: targets(yTrain, REFERENCE_QUERIES),
      queryCount: REFERENCE_QUERIES.length,
      // The two rows of one image are one "product" for the validation split only (they never
      // fall on both sides of it); no product loss runs with their weights at 0.
      products: Int32Array.from({ length: yTrain.length }, (_, row) => row >> 1),
      productCount: trainIndices.length,
    },
    {
      epochs: args.epochs,
      batchSize: 256,
      learningRate: 0.01,
      weights: { category: 1, attributes: 1, queries: 1, arcface: 0, pairwise: 0 },
      embedding: {
        inputs: dims,
        outputs: EMBEDDING_DIM,
        weight: randomOrthogonalProjection(dims, EMBEDDING_DIM, 2020),
        bias: new Float32Array(EMBEDDING_DIM),
      },
      embeddingDim: EMBEDDING_DIM,
      gemP: GEM_P,
      arcface: { margin: 0.1, scale: 30 },
      pairwise: { positiveMargin: 0.5, negativeMargin: 1 },
      seed: 11,
      log,
    },
  );
  const novelty = fitNovelty(xTrain, yTrain.length, dims);
  const dev = headOutputs(xDev, yDev.length, trained);
  const classes = FASHION_MNIST_CLASSES.length;
  const topOf = (scores: Float32Array, i: number) => {
    const row = scores.subarray(i * classes, (i + 1) * classes);
    return row.indexOf(Math.max(...row));
  };
  const devTop = [...yDev].map((label, i) => ({
    confidence: Math.max(...dev.category.subarray(i * classes, (i + 1) * classes)),
    correct: topOf(dev.category, i) === label,
  }));
  const thresholds = (scores: Float32Array, entries: { classes: readonly string[] }[]) => {
    const truth = targets(yDev, entries);
    return entries.map((_, j) =>
      thresholdForPrecision(
        [...yDev].map((_, i) => scores[i * entries.length + j] as number),
        [...yDev].map((_, i) => truth[i * entries.length + j] as number),
        0.9,
      ),
    );
  };
  const threshold = noveltyThreshold(noveltyScores(xDev, yDev.length, novelty), REFERENCE_NOVELTY_QUANTILE);
  const heads: HeadWeights = {
    ...trained,
    novelty,
    embedding: await learnReferenceEmbedding({
      split: train,
      indices: balancedIndices(train, args.embeddingPerClass ?? 200),
      extractor,
      outputs: EMBEDDING_DIM,
      log,
    }),
  };
  await extractor.release();

  const onTest = headOutputs(xTest, yTest.length, heads);
  const testNovelty = noveltyScores(xTest, yTest.length, novelty);
  const sanity = sanityMetrics({
    head: heads.category,
    train: xTrain,
    trainLabels: yTrain,
    evaluation: xTest,
    evalLabels: yTest,
    dims,
  });
  const metrics = {
    fashion_mnist_top1: topKAccuracy(onTest.category, classes, yTest, 1),
    fashion_mnist_top5: topKAccuracy(onTest.category, classes, yTest, 5),
    fashion_mnist_unknown_rate: testNovelty.filter((v) => v > threshold).length / yTest.length,
    ...sanity,
  };
  log.info({ metrics, selection }, 'reference heads evaluated on the Fashion-MNIST test images');
  const card = fashionMnistCard({
    version: 'reference-fmnist-v3',
    description:
      'Reference grokcat model: nsfwjs MobileNetV2 trunk (ImageNet weights) with heads trained on Fashion-MNIST; says "unknown" for photos unlike its training images.',
    inputSize: REFERENCE_INPUT.size,
    embeddingDim: EMBEDDING_DIM,
    trunk: { name: REFERENCE_TRUNK.name, cut: REFERENCE_TRUNK.cut, macs_per_image: extractor.macs },
    gemP: GEM_P,
    training: {
      data:
        `Fashion-MNIST (Debian dataset-fashion-mnist), first ${args.perClass} train images per class, each as an inverted ` +
        'grey thumbnail and a colour render; thresholds and open-set threshold on the next ' +
        `${args.devPerClass ?? 100} per class; learning rate ${selection.learning_rate}, ${selection.epochs} epochs chosen on validation rows`,
      samples: yTrain.length,
      command: `grokcat model train-reference --per-class ${args.perClass} --epochs ${args.epochs}`,
    },
    metrics,
    attributeThresholds: thresholds(dev.attributes, REFERENCE_ATTRIBUTES),
    queryThresholds: thresholds(dev.queries, REFERENCE_QUERIES),
    calibration: fitIsotonic(
      devTop.map((t) => t.confidence),
      devTop.map((t) => (t.correct ? 1 : 0)),
    ),
    openSet: {
      method: 'mahalanobis',
      threshold,
      chosen_on: `${REFERENCE_NOVELTY_QUANTILE * 100}th percentile of the novelty of the dev images (Fashion-MNIST renders)`,
    },
  });
  return { heads, card };
}
