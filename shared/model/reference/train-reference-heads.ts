import * as tf from '@tensorflow/tfjs';
import { prepareRawPixels } from '../../image/image-decoder.ts';
import type { Logger } from '../../log/logger.ts';
import { createFeatureExtractor, type FeatureExtractor } from '../../training/feature-extractor.ts';
import { seededGaussian } from '../../training/seeded-random.ts';
import { denseOf } from '../../training/train-heads.ts';
import type { HeadWeights } from '../grok/head-weights.ts';
import type { ModelCard } from '../grok/model-card.ts';
import {
  balancedIndices,
  FASHION_MNIST_CLASSES,
  type FashionMnistSplit,
  readFashionMnist,
} from './fashion-mnist.ts';
import { fashionMnistCard } from './fashion-mnist-card.ts';
import { learnReferenceEmbedding } from './reference-embedding.ts';
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

async function extract(
  split: FashionMnistSplit,
  indices: number[],
  extractor: FeatureExtractor,
  log: Logger,
) {
  const { size } = REFERENCE_INPUT;
  const features = new Float32Array(indices.length * extractor.dims);
  for (let start = 0; start < indices.length; start += 32) {
    const batch = indices.slice(start, start + 32);
    const input = new Float32Array(batch.length * 3 * size * size);
    await Promise.all(
      batch.map(async (index, i) => {
        // Fashion-MNIST is a white garment on black; catalogue photos are dark products on white.
        const pixels = split.images.subarray(index * 784, (index + 1) * 784).map((v) => 255 - v);
        input.set(
          await prepareRawPixels(pixels, 28, 28, 1, { ...REFERENCE_INPUT, mean: [0, 0, 0], std: [1, 1, 1] }),
          i * 3 * size * size,
        );
      }),
    );
    features.set(await extractor.run(input, batch.length), start * extractor.dims);
    if (start % 640 === 0)
      log.info({ done: start + batch.length, of: indices.length }, 'extracting Fashion-MNIST features');
  }
  return features;
}

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
 * Trains the reference heads on trunk features of a balanced Fashion-MNIST subset: softmax
 * regression for the ten categories, sigmoid heads for the derived attributes and queries; the
 * embedding is learned without labels (reference-embedding.ts) until the trainer learns one.
 */
export async function trainReferenceHeads(args: {
  perClass: number;
  testPerClass: number;
  epochs: number;
  log: Logger;
  fashionMnistDir?: string;
}): Promise<ReferenceTraining> {
  const { log } = args;
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const train = readFashionMnist('train', args.fashionMnistDir);
  const test = readFashionMnist('t10k', args.fashionMnistDir);
  const trainIndices = balancedIndices(train, args.perClass);
  const testIndices = balancedIndices(test, args.testPerClass);
  const extractor = await createFeatureExtractor(REFERENCE_TRUNK.name, REFERENCE_TRUNK.cut, GEM_P);
  const channels = extractor.dims;
  const xTrain = await extract(train, trainIndices, extractor, log);
  const xTest = await extract(test, testIndices, extractor, log);

  const targets = (split: FashionMnistSplit, indices: number[]) => {
    const categories = indices.map((i) => split.labels[i] as number);
    return {
      categories,
      category: tf.oneHot(tf.tensor1d(categories, 'int32'), FASHION_MNIST_CLASSES.length).toFloat(),
      attributes: tf.tensor2d(categories.map((c) => multiHot(c, REFERENCE_ATTRIBUTES))),
      queries: tf.tensor2d(categories.map((c) => multiHot(c, REFERENCE_QUERIES))),
    };
  };
  const yTrain = targets(train, trainIndices);
  const yTest = targets(test, testIndices);
  const x = tf.tensor2d(xTrain, [trainIndices.length, channels]);
  const head = (outputs: number, name: string) => ({
    weight: tf.variable(tf.randomNormal([channels, outputs], 0, 0.01, 'float32', 11), true, `${name}_w`),
    bias: tf.variable(tf.zeros([outputs]), true, `${name}_b`),
  });
  const category = head(FASHION_MNIST_CLASSES.length, 'category');
  const attributes = head(REFERENCE_ATTRIBUTES.length, 'attributes');
  const queries = head(REFERENCE_QUERIES.length, 'queries');
  const logits = (input: tf.Tensor2D, h: { weight: tf.Variable; bias: tf.Variable }) =>
    input.matMul(h.weight).add(h.bias) as tf.Tensor2D;
  const optimizer = tf.train.adam(0.2);
  for (let epoch = 1; epoch <= args.epochs; epoch++) {
    const loss = optimizer.minimize(
      () =>
        tf.tidy(
          () =>
            tf.losses
              .softmaxCrossEntropy(yTrain.category, logits(x, category))
              .add(tf.losses.sigmoidCrossEntropy(yTrain.attributes, logits(x, attributes)))
              .add(tf.losses.sigmoidCrossEntropy(yTrain.queries, logits(x, queries))) as tf.Scalar,
        ),
      true,
    );
    if (epoch % 50 === 0) log.info({ epoch, loss: (await loss?.data())?.[0] }, 'training reference heads');
    loss?.dispose();
  }

  const xt = tf.tensor2d(xTest, [testIndices.length, channels]);
  const metrics = tf.tidy(() => {
    const probabilities = tf.softmax(logits(xt, category));
    const top = tf.topk(probabilities, 5).indices.arraySync() as number[][];
    const truth = yTest.categories;
    const top1 = top.filter((row, i) => row[0] === truth[i]).length / truth.length;
    const top5 = top.filter((row, i) => row.includes(truth[i] as number)).length / truth.length;
    const accuracy = (h: typeof attributes, y: tf.Tensor2D) =>
      tf.sigmoid(logits(xt, h)).greater(0.5).toFloat().equal(y).mean().arraySync() as number;
    return {
      fashion_mnist_top1: top1,
      fashion_mnist_top5: top5,
      attributes_accuracy: accuracy(attributes, yTest.attributes as tf.Tensor2D),
      queries_accuracy: accuracy(queries, yTest.queries as tf.Tensor2D),
    };
  });
  log.info(metrics, 'reference heads evaluated on the Fashion-MNIST test subset');

  const heads: HeadWeights = {
    gemP: GEM_P,
    embedding: await learnReferenceEmbedding({
      split: train,
      indices: balancedIndices(train, 200),
      extractor,
      outputs: EMBEDDING_DIM,
      log,
    }),
    category: await denseOf(category.weight, category.bias),
    attributes: await denseOf(attributes.weight, attributes.bias),
    queries: await denseOf(queries.weight, queries.bias),
  };
  await extractor.release();
  const card = fashionMnistCard({
    version: 'reference-fmnist-v2',
    description:
      'Reference grokcat model: nsfwjs MobileNetV2 trunk (ImageNet weights) with heads trained on Fashion-MNIST.',
    inputSize: REFERENCE_INPUT.size,
    embeddingDim: EMBEDDING_DIM,
    trunk: { name: REFERENCE_TRUNK.name, cut: REFERENCE_TRUNK.cut, macs_per_image: extractor.macs },
    gemP: GEM_P,
    training: {
      data: `Fashion-MNIST (Debian dataset-fashion-mnist), first ${args.perClass} train images per class, inverted to dark-on-white`,
      samples: trainIndices.length,
      command: `grokcat model train-reference --per-class ${args.perClass} --epochs ${args.epochs}`,
    },
    metrics,
  });
  tf.dispose([
    x,
    xt,
    yTrain.category,
    yTrain.attributes,
    yTrain.queries,
    yTest.category,
    yTest.attributes,
    yTest.queries,
  ]);
  return { heads, card };
}
