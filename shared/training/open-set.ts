import type { Dense } from '../model/grok/head-weights.ts';
import { fitStandardiser } from './feature-standardiser.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

/**
 * How far a photo's shared feature lies from the training photos: the Mahalanobis distance to the
 * training mean, per dimension, (h - mean)' S^-1 (h - mean) / F with S the covariance of the
 * training features shrunk towards its mean eigenvalue. As one layer: novelty = mean((h P + b)^2)
 * with P = diag(1 / scale) V diag(1 / sqrt(lambda + delta)) and b = -mean P, which the exported
 * graph computes beside the heads. Lee et al., "A Simple Unified Framework for Detecting
 * Out-of-Distribution Samples and Adversarial Attacks" (NeurIPS 2018) use the class-conditional
 * form; on our sets the global one flags as much (docs/model.md, "Open-set answers").
 */
export function fitNovelty(features: Float32Array, rows: number, dims: number, shrinkage = 0.01): Dense {
  const s = fitStandardiser(features, rows, dims);
  const covariance = new Float64Array(dims * dims);
  const z = new Float64Array(dims);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < dims; d++)
      z[d] = ((features[r * dims + d] as number) - (s.mean[d] as number)) / (s.scale[d] as number);
    for (let i = 0; i < dims; i++) {
      const zi = z[i] as number;
      if (zi === 0) continue;
      for (let j = i; j < dims; j++)
        covariance[i * dims + j] = (covariance[i * dims + j] as number) + zi * (z[j] as number);
    }
  }
  for (let i = 0; i < dims; i++)
    for (let j = i; j < dims; j++) {
      const v = (covariance[i * dims + j] as number) / Math.max(1, rows);
      covariance[i * dims + j] = v;
      covariance[j * dims + i] = v;
    }
  const { values, vectors } = symmetricEigen(covariance, dims);
  const delta = (shrinkage * values.reduce((a, b) => a + Math.max(0, b), 0)) / dims;
  const weight = new Float32Array(dims * dims);
  const bias = new Float32Array(dims);
  for (let k = 0; k < dims; k++) {
    const inverse = 1 / Math.sqrt(Math.max(0, values[k] as number) + delta);
    let shift = 0;
    for (let i = 0; i < dims; i++) {
      const w = ((vectors[i * dims + k] as number) / (s.scale[i] as number)) * inverse;
      weight[i * dims + k] = w;
      shift += (s.mean[i] as number) * w;
    }
    bias[k] = -shift;
  }
  return { inputs: dims, outputs: dims, weight, bias };
}

/** Novelty of `rows` shared features, as the exported graph computes it. */
export function noveltyScores(features: Float32Array, rows: number, novelty: Dense): Float32Array {
  const { inputs, outputs, weight, bias } = novelty;
  const out = new Float32Array(rows);
  const projected = new Float64Array(outputs);
  for (let r = 0; r < rows; r++) {
    projected.set(bias);
    for (let i = 0; i < inputs; i++) {
      const x = features[r * inputs + i] as number;
      if (x === 0) continue;
      for (let o = 0; o < outputs; o++)
        projected[o] = (projected[o] as number) + x * (weight[i * outputs + o] as number);
    }
    let sum = 0;
    for (let o = 0; o < outputs; o++) sum += (projected[o] as number) ** 2;
    out[r] = sum / outputs;
  }
  return out;
}

/** The novelty above which a photo is declared unknown: the `quantile` of held-out in-distribution scores. */
export function noveltyThreshold(scores: Float32Array, quantile: number): number {
  const sorted = Float32Array.from(scores).sort();
  if (sorted.length === 0) return Number.POSITIVE_INFINITY;
  const index = Math.min(sorted.length - 1, Math.floor(quantile * sorted.length));
  return Number((sorted[index] as number).toFixed(4));
}

/** Held-out in-distribution photos declared unknown by a trained model's threshold. */
export const NOVELTY_QUANTILE = 0.99;

/**
 * A training run's open-set layer: fitted on the training rows; threshold at NOVELTY_QUANTILE of
 * the even evaluation rows whose category training had (the half calibration is fitted on), and
 * measured on the odd ones (`unknown_rate`) and on rows of categories training never had
 * (`unknown_rate_unseen`, where an open-set model should say unknown).
 */
export function fitOpenSet(args: {
  train: Float32Array;
  trainRows: number;
  evaluation: Float32Array;
  /** Per evaluation row: category index, -1 none, `categoryCount` a category training never had. */
  evalLabels: Int32Array;
  categoryCount: number;
  dims: number;
}): { novelty: Dense; threshold: number; metrics: Record<string, number> } {
  const novelty = fitNovelty(args.train, args.trainRows, args.dims);
  const scores = noveltyScores(args.evaluation, args.evalLabels.length, novelty);
  const seen = (i: number) =>
    (args.evalLabels[i] as number) >= 0 && (args.evalLabels[i] as number) < args.categoryCount;
  const rows = [...args.evalLabels.keys()];
  const fit = rows.filter((i) => i % 2 === 0 && seen(i));
  const threshold = noveltyThreshold(
    Float32Array.from(fit, (i) => scores[i] as number),
    NOVELTY_QUANTILE,
  );
  const rate = (list: number[]) =>
    Number(
      (list.filter((i) => (scores[i] as number) > threshold).length / Math.max(1, list.length)).toFixed(4),
    );
  const unseen = rows.filter((i) => (args.evalLabels[i] as number) === args.categoryCount);
  return {
    novelty,
    threshold,
    metrics: {
      unknown_rate: rate(rows.filter((i) => i % 2 === 1 && seen(i))),
      ...(unseen.length > 0 ? { unknown_rate_unseen: rate(unseen) } : {}),
    },
  };
}
