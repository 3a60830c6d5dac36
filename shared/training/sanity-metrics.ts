import type { Dense } from '../model/grok/head-weights.ts';
import { categoryProbabilities } from './head-outputs.ts';

/**
 * What every training run reports beside its category figure, measured on the same rows in the
 * same run: a trained head is suspect until it beats these (the ceiling, the share of evaluation
 * rows whose category training had, is scoreOutputs' category_ceiling). Labels are indices into the run's
 * categories, -1 for none; an evaluation label the training rows never had is `categoryCount`.
 */
export interface SanityMetrics {
  /** Top-1 of the trained head on its own training rows (far below the test figure: it did not learn). */
  train_category_top1: number;
  /** Distinct categories the head predicts on the evaluation rows (1 or 2: it collapsed). */
  category_classes_predicted: number;
  /** Nearest class mean (cosine to the mean training feature of each category) on the evaluation rows. */
  category_ncm_top1: number;
  /** Always the most frequent training category. */
  category_majority_top1: number;
}

const argmax = (row: Float32Array) => {
  let best = 0;
  for (let c = 1; c < row.length; c++) if ((row[c] as number) > (row[best] as number)) best = c;
  return best;
};

function top1(predicted: number[], labels: Int32Array): number {
  let judged = 0;
  let right = 0;
  labels.forEach((label, i) => {
    if (label < 0) return;
    judged += 1;
    if (predicted[i] === label) right += 1;
  });
  return judged === 0 ? 0 : right / judged;
}

function predictions(features: Float32Array, rows: number, head: Dense): number[] {
  const p = categoryProbabilities(features, rows, head);
  return Array.from({ length: rows }, (_, r) => argmax(p.subarray(r * head.outputs, (r + 1) * head.outputs)));
}

function nearestClassMean(args: {
  train: Float32Array;
  trainLabels: Int32Array;
  evaluation: Float32Array;
  evalRows: number;
  dims: number;
  categoryCount: number;
}): number[] {
  const { dims, categoryCount } = args;
  const means = new Float64Array(categoryCount * dims);
  args.trainLabels.forEach((label, r) => {
    if (label < 0 || label >= categoryCount) return;
    for (let d = 0; d < dims; d++)
      means[label * dims + d] = (means[label * dims + d] as number) + (args.train[r * dims + d] as number);
  });
  for (let c = 0; c < categoryCount; c++) {
    const norm = Math.hypot(...means.subarray(c * dims, (c + 1) * dims)) || 1;
    for (let d = 0; d < dims; d++) means[c * dims + d] = (means[c * dims + d] as number) / norm;
  }
  return Array.from({ length: args.evalRows }, (_, r) => {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < categoryCount; c++) {
      let dot = 0;
      for (let d = 0; d < dims; d++)
        dot += (args.evaluation[r * dims + d] as number) * (means[c * dims + d] as number);
      if (dot > bestScore) [best, bestScore] = [c, dot];
    }
    return best;
  });
}

export function sanityMetrics(args: {
  head: Dense;
  train: Float32Array;
  trainLabels: Int32Array;
  evaluation: Float32Array;
  evalLabels: Int32Array;
  dims: number;
}): SanityMetrics {
  const categoryCount = args.head.outputs;
  const evalRows = args.evalLabels.length;
  const predicted = predictions(args.evaluation, evalRows, args.head);
  const counts = new Array<number>(categoryCount).fill(0);
  for (const label of args.trainLabels)
    if (label >= 0 && label < categoryCount) counts[label] = (counts[label] as number) + 1;
  const majority = counts.indexOf(Math.max(...counts));
  const round = (v: number) => Number(v.toFixed(4));
  return {
    train_category_top1: round(
      top1(predictions(args.train, args.trainLabels.length, args.head), args.trainLabels),
    ),
    category_classes_predicted: new Set(predicted.filter((_, i) => (args.evalLabels[i] as number) >= 0)).size,
    category_ncm_top1: round(top1(nearestClassMean({ ...args, categoryCount, evalRows }), args.evalLabels)),
    category_majority_top1: round(top1(new Array(evalRows).fill(majority), args.evalLabels)),
  };
}
