import * as tf from '@tensorflow/tfjs';

/**
 * GrokNet's four loss families (Bell et al., "GrokNet: Unified Computer Vision Model Trunk and
 * Embeddings For Commerce", KDD 2020, section 3), in TensorFlow.js. Each returns a scalar averaged
 * over the rows (or pairs) that carry a label; rows without one add nothing.
 */

const EPSILON = 1e-7;

/** Categories: mean of -log softmax(logits)[label]. Labels < 0 mean "no label". */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const [, classes] = logits.shape;
    const valid = labels.greaterEqual(0).toFloat();
    const oneHot = tf.oneHot(labels.maximum(0).toInt(), classes).toFloat().mul(valid.expandDims(1));
    const perRow = tf.logSoftmax(logits).mul(oneHot).sum(1).neg();
    return perRow.sum().div(valid.sum().maximum(1)) as tf.Scalar;
  });
}

/**
 * Attributes and queries: softmax over all labels with the target spread uniformly over the
 * positive ones, t = y / sum(y), loss = -sum(t * log softmax(logits)). Rows with no positive label
 * are left out.
 */
export function multiLabelSoftmax(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const positives = targets.sum(1);
    const valid = positives.greater(0).toFloat();
    const spread = targets.div(positives.maximum(EPSILON).expandDims(1));
    const perRow = tf.logSoftmax(logits).mul(spread).sum(1).neg().mul(valid);
    return perRow.sum().div(valid.sum().maximum(1)) as tf.Scalar;
  });
}

export interface ArcFaceOptions {
  /** Additive angular margin m, radians (GrokNet / ArcFace: 0.5). */
  margin: number;
  /** Scale s of the cosine logits (ArcFace: 64; smaller for few classes). */
  scale: number;
}

/**
 * Product identities (multi-label ArcFace): logits are s * cos(theta) to each class centre, with the
 * angle of every positive class widened by m, cos(theta + m) = cos * cos(m) - sin * sin(m); then the
 * multi-label softmax above. Embeddings and centres are L2-normalised here.
 */
export function multiLabelArcFace(
  embeddings: tf.Tensor2D,
  centres: tf.Tensor2D,
  targets: tf.Tensor2D,
  { margin, scale }: ArcFaceOptions,
): tf.Scalar {
  return tf.tidy(() => {
    const e = tf.div(embeddings, tf.norm(embeddings, 'euclidean', 1, true).maximum(EPSILON));
    const c = tf.div(centres, tf.norm(centres, 'euclidean', 1, true).maximum(EPSILON));
    const cos = e.matMul(c, false, true).clipByValue(-1 + EPSILON, 1 - EPSILON);
    const sin = tf.sqrt(tf.sub(1, cos.square()).maximum(EPSILON));
    const widened = cos.mul(Math.cos(margin)).sub(sin.mul(Math.sin(margin)));
    const logits = tf.where(targets.greater(0), widened, cos).mul(scale) as tf.Tensor2D;
    return multiLabelSoftmax(logits, targets);
  });
}

export interface PairSet {
  positives: [number, number][];
  negatives: [number, number][];
}

export interface DoubleMarginOptions {
  /** Positive pairs closer than this cost nothing. */
  positiveMargin: number;
  /** Negative pairs farther than this cost nothing. */
  negativeMargin: number;
}

/**
 * Pairwise double-margin loss over L2-normalised embeddings, d = ||a - b||:
 * positives max(0, d - m_pos), negatives max(0, m_neg - d), averaged over all pairs given.
 */
export function pairwiseDoubleMargin(
  embeddings: tf.Tensor2D,
  pairs: PairSet,
  options: DoubleMarginOptions,
): tf.Scalar {
  return tf.tidy(() => {
    const count = pairs.positives.length + pairs.negatives.length;
    if (count === 0) return tf.scalar(0);
    const e = tf.div(embeddings, tf.norm(embeddings, 'euclidean', 1, true).maximum(EPSILON));
    // All pairwise distances at once, ||a - b||^2 = 2 - 2 a.b for unit vectors, and the pairs as
    // 0/1 masks: gathering rows instead costs tfjs's CPU backend a pass over the batch per row in
    // the gradient (unsortedSegmentSum), about 15 s per 256-row batch.
    const n = embeddings.shape[0];
    const distance = tf
      .scalar(2)
      .sub(e.matMul(e, false, true).mul(2))
      .relu()
      .add(EPSILON)
      .sqrt();
    const mask = (list: [number, number][]) => {
      const values = new Float32Array(n * n);
      for (const [i, j] of list) values[i * n + j] = (values[i * n + j] as number) + 1;
      return tf.tensor2d(values, [n, n]);
    };
    let total = tf.scalar(0);
    if (pairs.positives.length > 0)
      total = total.add(distance.sub(options.positiveMargin).relu().mul(mask(pairs.positives)).sum());
    if (pairs.negatives.length > 0)
      total = total.add(
        tf.scalar(options.negativeMargin).sub(distance).relu().mul(mask(pairs.negatives)).sum(),
      );
    return total.div(count) as tf.Scalar;
  });
}

/**
 * Pairs for the double-margin loss from product ids in a batch (-1: no product): every pair of
 * rows with the same product is positive; each row that has a positive also gets its hardest
 * in-batch negative (the closest row of another product), as GrokNet mines them.
 */
export function minePairs(embeddings: tf.Tensor2D, productIds: number[]): PairSet {
  const distances = tf.tidy(() => {
    const e = tf.div(embeddings, tf.norm(embeddings, 'euclidean', 1, true).maximum(EPSILON));
    return tf.sub(2, e.matMul(e, false, true).mul(2)).arraySync() as number[][];
  });
  const positives: [number, number][] = [];
  const negatives: [number, number][] = [];
  const n = productIds.length;
  for (let i = 0; i < n; i++) {
    const id = productIds[i] as number;
    if (id < 0) continue;
    let hasPositive = false;
    let hardest = -1;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const other = productIds[j] as number;
      if (other < 0) continue; // no product known: it could be the same one, so it is no negative
      if (other === id) {
        hasPositive = true;
        if (j > i) positives.push([i, j]);
      } else if (hardest === -1 || (distances[i]?.[j] as number) < (distances[i]?.[hardest] as number)) {
        hardest = j;
      }
    }
    if (hasPositive && hardest !== -1) negatives.push([i, hardest]);
  }
  return { positives, negatives };
}

/** The weighted sum of whichever losses a batch has, with per-task weights from config. */
export function weightedSum(parts: { loss: tf.Scalar; weight: number }[]): tf.Scalar {
  return tf.tidy(
    () => parts.reduce((sum, { loss, weight }) => sum.add(loss.mul(weight)), tf.scalar(0)) as tf.Scalar,
  );
}
