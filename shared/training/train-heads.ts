import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../log/logger.ts';
import type { Dense, HeadWeights } from '../model/grok/head-weights.ts';
import {
  minePairs,
  multiLabelArcFace,
  multiLabelSoftmax,
  pairwiseDoubleMargin,
  softmaxCrossEntropy,
  weightedSum,
} from './grok-losses.ts';
import { seededUniform } from './seeded-random.ts';
import { selectTrainingBackend, type TrainingBackend } from './tfjs-backend.ts';

export interface TrainingSet {
  /** n x F shared features (GeM-pooled, L2-normalised), row-major. */
  features: Float32Array;
  count: number;
  dims: number;
  /** Category index per row, -1 when unknown. */
  categories: Int32Array;
  categoryCount: number;
  /** n x A multi-hot, n x Q multi-hot. */
  attributes: Float32Array;
  attributeCount: number;
  queries: Float32Array;
  queryCount: number;
  /** Product index per row (-1: none); rows sharing one are the same product. */
  products: Int32Array;
  productCount: number;
}

export interface LossWeights {
  category: number;
  attributes: number;
  queries: number;
  arcface: number;
  pairwise: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weights: LossWeights;
  /** The embedding projection to start from (and keep, when there are no product labels). */
  embedding: Dense;
  embeddingDim: number;
  gemP: number;
  arcface: { margin: number; scale: number };
  pairwise: { positiveMargin: number; negativeMargin: number };
  seed: number;
  /** tfjs backend (default wasm; see tfjs-backend.ts). */
  backend?: TrainingBackend;
  /** Warm start: heads to continue from (shapes must match); random where absent. */
  initial?: Partial<Record<'category' | 'attributes' | 'queries', Dense>>;
  /** Called after each epoch with its mean loss. */
  onEpoch?: (epoch: number, loss: number) => void;
  log: Logger;
}

/** A trained tfjs layer as plain arrays. */
export const denseOf = async (weight: tf.Variable, bias: tf.Variable): Promise<Dense> => {
  const [inputs, outputs] = weight.shape as [number, number];
  return {
    inputs,
    outputs,
    weight: (await weight.data()) as Float32Array,
    bias: (await bias.data()) as Float32Array,
  };
};

/**
 * Trains the heads on cached shared features with GrokNet's losses, weighted per task: softmax
 * cross-entropy (categories), multi-label softmax (attributes, queries), and, when rows carry
 * product identities, multi-label ArcFace on the embedding with one centre per product plus the
 * pairwise double-margin loss with hardest in-batch negatives. Mini-batches of shuffled rows, Adam.
 */
export async function trainHeads(set: TrainingSet, options: TrainOptions): Promise<HeadWeights> {
  const backend = await selectTrainingBackend(options.backend ?? 'wasm', options.log);
  options.log.info({ backend, rows: set.count }, 'training heads');
  const { dims, count } = set;
  let seed = options.seed;
  const init = (shape: [number, number], name: string) => {
    seed += 1;
    return tf.variable(tf.randomNormal(shape, 0, 0.01, 'float32', seed), true, name);
  };
  const head = (name: 'category' | 'attributes' | 'queries', outputs: number) => {
    const start = options.initial?.[name];
    if (start && start.inputs === dims && start.outputs === outputs) {
      return {
        w: tf.variable(tf.tensor2d(start.weight, [dims, outputs]), true, `${name}_w`),
        b: tf.variable(tf.tensor1d(start.bias), true, `${name}_b`),
      };
    }
    return { w: init([dims, outputs], `${name}_w`), b: tf.variable(tf.zeros([outputs]), true, `${name}_b`) };
  };
  const category = head('category', set.categoryCount);
  const attributes = head('attributes', set.attributeCount);
  const queries = head('queries', set.queryCount);
  const hasProducts = set.productCount > 0 && (options.weights.arcface > 0 || options.weights.pairwise > 0);
  const embedding = {
    w: tf.variable(
      tf.tensor2d(options.embedding.weight, [dims, options.embeddingDim]),
      hasProducts,
      'embedding_w',
    ),
    b: tf.variable(tf.tensor1d(options.embedding.bias), hasProducts, 'embedding_b'),
  };
  const centres = hasProducts ? init([set.productCount, options.embeddingDim], 'product_centres') : null;
  const optimizer = tf.train.adam(options.learningRate);

  const order = Array.from({ length: count }, (_, i) => i);
  const random = seededUniform(options.seed);
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    let total = 0;
    let batches = 0;
    for (let start = 0; start < count; start += options.batchSize) {
      const rows = order.slice(start, start + options.batchSize);
      const pick = (data: Float32Array, width: number) => {
        const out = new Float32Array(rows.length * width);
        rows.forEach((row, k) => {
          out.set(data.subarray(row * width, (row + 1) * width), k * width);
        });
        return tf.tensor2d(out, [rows.length, width]);
      };
      const x = pick(set.features, dims);
      const yCategory = tf.tensor1d(
        rows.map((r) => set.categories[r] as number),
        'int32',
      );
      const yAttributes = pick(set.attributes, set.attributeCount);
      const yQueries = pick(set.queries, set.queryCount);
      const productIds = rows.map((r) => set.products[r] as number);
      const productTargets = hasProducts
        ? (tf
            .oneHot(
              tf.tensor1d(
                productIds.map((p) => Math.max(p, 0)),
                'int32',
              ),
              set.productCount,
            )
            .mul(tf.tensor1d(productIds.map((p) => (p >= 0 ? 1 : 0))).expandDims(1)) as tf.Tensor2D)
        : null;
      const pairs = hasProducts
        ? minePairs(
            tf.tidy(() => x.matMul(embedding.w).add(embedding.b) as tf.Tensor2D),
            productIds,
          )
        : null;
      const loss = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const logits = (head: { w: tf.Variable; b: tf.Variable }) =>
              x.matMul(head.w).add(head.b) as tf.Tensor2D;
            const parts = [
              { loss: softmaxCrossEntropy(logits(category), yCategory), weight: options.weights.category },
              {
                loss: multiLabelSoftmax(logits(attributes), yAttributes),
                weight: options.weights.attributes,
              },
              { loss: multiLabelSoftmax(logits(queries), yQueries), weight: options.weights.queries },
            ];
            if (hasProducts && centres && productTargets && pairs) {
              const e = logits(embedding);
              parts.push({
                loss: multiLabelArcFace(
                  e,
                  centres as tf.Tensor as tf.Tensor2D,
                  productTargets,
                  options.arcface,
                ),
                weight: options.weights.arcface,
              });
              parts.push({
                loss: pairwiseDoubleMargin(e, pairs, options.pairwise),
                weight: options.weights.pairwise,
              });
            }
            return weightedSum(parts);
          }),
        true,
      );
      total += (await loss?.data())?.[0] ?? 0;
      batches += 1;
      tf.dispose([x, yCategory, yAttributes, yQueries]);
      if (loss) loss.dispose();
      if (productTargets) productTargets.dispose();
    }
    const mean = Number((total / Math.max(1, batches)).toFixed(4));
    options.log.info({ epoch, loss: mean }, 'training heads');
    options.onEpoch?.(epoch, mean);
  }
  const heads: HeadWeights = {
    gemP: options.gemP,
    embedding: await denseOf(embedding.w, embedding.b),
    category: await denseOf(category.w, category.b),
    attributes: await denseOf(attributes.w, attributes.b),
    queries: await denseOf(queries.w, queries.b),
  };
  tf.dispose([
    category.w,
    category.b,
    attributes.w,
    attributes.b,
    queries.w,
    queries.b,
    embedding.w,
    embedding.b,
    ...(centres ? [centres] : []),
  ]);
  return heads;
}
