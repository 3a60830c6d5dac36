import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../log/logger.ts';
import type { Dense } from '../model/grok/head-weights.ts';
import {
  minePairs,
  multiLabelArcFace,
  multiLabelSoftmax,
  pairwiseDoubleMargin,
  softmaxCrossEntropy,
  weightedSum,
} from './grok-losses.ts';
import { seededUniform } from './seeded-random.ts';

export interface TrainingSet {
  /** n x F shared features (GeM-pooled, L2-normalised), row-major. */
  features: Float32Array;
  /**
   * What the embedding projection reads, when not `features`: trainHeads keeps it on the raw
   * features, where the learned whitening it starts from was estimated and its losses' step sizes
   * were tuned (on standardised inputs the same steps undid the whitening: grocery recall@1 0.28 -> 0.09).
   */
  embeddingFeatures?: Float32Array;
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

/** Trainable parameters of one fit, as plain layers (copied out of tfjs). */
export interface FittedLayers {
  embedding: Dense;
  category: Dense;
  attributes: Dense;
  queries: Dense;
}

export interface FitOptions {
  batchSize: number;
  weights: LossWeights;
  embeddingDim: number;
  arcface: { margin: number; scale: number };
  pairwise: { positiveMargin: number; negativeMargin: number };
  seed: number;
  log: Logger;
  learningRate: number;
  epochs: number;
  /** Layers to start from, on the same (standardised) inputs; small random heads where absent. */
  initial: Partial<FittedLayers> & { embedding: Dense };
  /**
   * Rows whose head losses are measured after every epoch (weighted by `weights`: which heads
   * decide); the best epoch's layers are kept.
   */
  monitor?: {
    rows: number[];
    patience: number;
    weights: Pick<LossWeights, 'category' | 'attributes' | 'queries'>;
  };
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface Fit {
  layers: FittedLayers;
  /** Epochs run, the best epoch (monitored) and its loss on the monitored rows. */
  epochsRun: number;
  bestEpoch: number;
  monitorLoss: number | null;
}

/**
 * One fit of the heads on `rows` of (standardised) shared features with GrokNet's losses, weighted
 * per task: softmax cross-entropy (categories), multi-label softmax (attributes, queries), and,
 * when rows carry product identities, multi-label ArcFace on the embedding with one centre per
 * product plus the pairwise double-margin loss with hardest in-batch negatives. Mini-batches of
 * shuffled rows, Adam. With a monitor, stops when its loss has not improved for `patience` epochs.
 */
export async function fitHeads(set: TrainingSet, rowsToFit: number[], options: FitOptions): Promise<Fit> {
  const { dims } = set;
  let seed = options.seed;
  const init = (shape: [number, number], name: string) => {
    seed += 1;
    return tf.variable(tf.randomNormal(shape, 0, 0.01, 'float32', seed), true, name);
  };
  const head = (name: 'category' | 'attributes' | 'queries', outputs: number) => {
    const start = options.initial[name];
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
      tf.tensor2d(options.initial.embedding.weight, [dims, options.embeddingDim]),
      hasProducts,
      'embedding_w',
    ),
    b: tf.variable(tf.tensor1d(options.initial.embedding.bias), hasProducts, 'embedding_b'),
  };
  const centres = hasProducts ? init([set.productCount, options.embeddingDim], 'product_centres') : null;
  const optimizer = tf.train.adam(options.learningRate);
  const snapshot = async (): Promise<FittedLayers> => ({
    embedding: await denseOf(embedding.w, embedding.b),
    category: await denseOf(category.w, category.b),
    attributes: await denseOf(attributes.w, attributes.b),
    queries: await denseOf(queries.w, queries.b),
  });
  const pick = (rows: number[], data: Float32Array, width: number) => {
    const out = new Float32Array(rows.length * width);
    rows.forEach((row, k) => {
      out.set(data.subarray(row * width, (row + 1) * width), k * width);
    });
    return tf.tensor2d(out, [rows.length, width]);
  };
  const headParts = (
    x: tf.Tensor2D,
    yCategory: tf.Tensor1D,
    yAttributes: tf.Tensor2D,
    yQueries: tf.Tensor2D,
  ) => {
    const logits = (h: { w: tf.Variable; b: tf.Variable }) => x.matMul(h.w).add(h.b) as tf.Tensor2D;
    // A head without labels (a dataset with no attribute column) has nothing to learn: loss 0,
    // and no zero-width matrix product for the wasm kernels to refuse.
    const none = { loss: tf.scalar(0), weight: 0 };
    return [
      set.categoryCount > 0
        ? { loss: softmaxCrossEntropy(logits(category), yCategory), weight: options.weights.category }
        : none,
      set.attributeCount > 0
        ? { loss: multiLabelSoftmax(logits(attributes), yAttributes), weight: options.weights.attributes }
        : none,
      set.queryCount > 0
        ? { loss: multiLabelSoftmax(logits(queries), yQueries), weight: options.weights.queries }
        : none,
    ];
  };
  const targets = (rows: number[]) => ({
    x: pick(rows, set.features, dims),
    yCategory: tf.tensor1d(
      rows.map((r) => set.categories[r] as number),
      'int32',
    ),
    yAttributes: pick(rows, set.attributes, set.attributeCount),
    yQueries: pick(rows, set.queries, set.queryCount),
  });
  const monitored = options.monitor ? targets(options.monitor.rows) : null;

  const order = [...rowsToFit];
  const random = seededUniform(options.seed);
  let best: { epoch: number; loss: number; layers: FittedLayers } | null = null;
  let epoch = 0;
  while (epoch < options.epochs) {
    epoch += 1;
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    let total = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const rows = order.slice(start, start + options.batchSize);
      const { x, yCategory, yAttributes, yQueries } = targets(rows);
      const xe = set.embeddingFeatures ? pick(rows, set.embeddingFeatures, dims) : x;
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
            tf.tidy(() => xe.matMul(embedding.w).add(embedding.b) as tf.Tensor2D),
            productIds,
          )
        : null;
      const loss = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const parts = headParts(x, yCategory, yAttributes, yQueries);
            if (hasProducts && centres && productTargets && pairs) {
              const e = xe.matMul(embedding.w).add(embedding.b) as tf.Tensor2D;
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
      if (xe !== x) xe.dispose();
      if (loss) loss.dispose();
      if (productTargets) productTargets.dispose();
    }
    const mean = Number((total / Math.max(1, batches)).toFixed(4));
    options.onEpoch?.(epoch, mean);
    if (!monitored || !options.monitor) continue;
    const decide = options.monitor.weights;
    const lossOf = tf.tidy(() =>
      weightedSum(
        headParts(monitored.x, monitored.yCategory, monitored.yAttributes, monitored.yQueries).map(
          (part, i) => ({ ...part, weight: [decide.category, decide.attributes, decide.queries][i] ?? 0 }),
        ),
      ),
    );
    const monitorLoss = (await lossOf.data())[0] as number;
    lossOf.dispose();
    options.log.debug({ epoch, loss: mean, monitor_loss: monitorLoss }, 'training heads');
    if (!best || monitorLoss < best.loss) best = { epoch, loss: monitorLoss, layers: await snapshot() };
    else if (epoch - best.epoch >= options.monitor.patience) break;
  }
  const layers = best?.layers ?? (await snapshot());
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
    ...(monitored ? Object.values(monitored) : []),
  ]);
  return {
    layers,
    epochsRun: epoch,
    bestEpoch: best?.epoch ?? epoch,
    monitorLoss: best ? Number(best.loss.toFixed(4)) : null,
  };
}
