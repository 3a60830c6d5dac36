import { seededGaussian } from './seeded-random.ts';

/**
 * Cleaning before each training run: evaluation images that are exact or near duplicates of a
 * training image are dropped (they would measure memory, not generalisation), and labels that the
 * serving model contradicts with high confidence are held out of training for review.
 */

export interface CleaningReport {
  exact_duplicates: number;
  near_duplicates: number;
  contradicted_labels: number;
  /** Keys of up to 20 contradicted images, for review. */
  contradicted_examples: string[];
}

const TABLES = 8;
const BITS = 16;

/** Random-hyperplane hashes: vectors at a small angle share a bucket in some table with high probability. */
function lshBuckets(features: Float32Array, rows: number, dims: number, seed: number): Uint32Array {
  const planes = Float32Array.from({ length: TABLES * BITS * dims }, seededGaussian(seed));
  const buckets = new Uint32Array(rows * TABLES);
  for (let r = 0; r < rows; r++) {
    const x = features.subarray(r * dims, (r + 1) * dims);
    for (let t = 0; t < TABLES; t++) {
      let code = 0;
      for (let b = 0; b < BITS; b++) {
        const plane = planes.subarray((t * BITS + b) * dims, (t * BITS + b + 1) * dims);
        let dot = 0;
        for (let d = 0; d < dims; d++) dot += (x[d] as number) * (plane[d] as number);
        code = (code << 1) | (dot > 0 ? 1 : 0);
      }
      buckets[r * TABLES + t] = code;
    }
  }
  return buckets;
}

/**
 * Indices of evaluation rows to drop: same content key as a training row (exact), or cosine
 * similarity of their centred features at or above `threshold` with one (near). Candidates
 * come from 8 LSH tables of 16 bits (at cosine 0.97 a pair shares a bucket in at least one table
 * with probability about 0.97) and are then checked exactly.
 */
export function duplicatesAcrossSplits(args: {
  features: Float32Array;
  dims: number;
  keys: string[];
  train: number[];
  evaluation: number[];
  threshold: number;
}): { exact: Set<number>; near: Set<number> } {
  const { features, dims } = args;
  const trainKeys = new Set(args.train.map((i) => args.keys[i]));
  const exact = new Set(args.evaluation.filter((i) => trainKeys.has(args.keys[i])));
  const rows = [...args.train, ...args.evaluation];
  // Trunk features after ReLU share a large common component (any two photos score above 0.95):
  // centred on the training mean and renormalised, unrelated photos score about 0.6 and a re-encoded
  // copy still about 1.
  const mean = new Float32Array(dims);
  for (const row of args.train)
    for (let d = 0; d < dims; d++)
      mean[d] = (mean[d] as number) + (features[row * dims + d] as number) / args.train.length;
  const subset = new Float32Array(rows.length * dims);
  rows.forEach((row, i) => {
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const v = (features[row * dims + d] as number) - (mean[d] as number);
      subset[i * dims + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dims; d++) subset[i * dims + d] = (subset[i * dims + d] as number) / norm;
  });
  const buckets = lshBuckets(subset, rows.length, dims, 97);
  const index = new Map<string, number[]>();
  args.train.forEach((_, i) => {
    for (let t = 0; t < TABLES; t++) {
      const key = `${t}:${buckets[i * TABLES + t]}`;
      const list = index.get(key) ?? [];
      list.push(i);
      index.set(key, list);
    }
  });
  const near = new Set<number>();
  args.evaluation.forEach((row, j) => {
    if (exact.has(row)) return;
    const local = args.train.length + j;
    const candidates = new Set<number>();
    for (let t = 0; t < TABLES; t++) {
      for (const c of index.get(`${t}:${buckets[local * TABLES + t]}`) ?? []) candidates.add(c);
    }
    for (const c of candidates) {
      let dot = 0;
      for (let d = 0; d < dims; d++)
        dot += (subset[local * dims + d] as number) * (subset[c * dims + d] as number);
      if (dot >= args.threshold) {
        near.add(row);
        break;
      }
    }
  });
  return { exact, near };
}

/**
 * Training rows whose category label the serving model contradicts: it predicts another of its
 * categories with at least `confidence`, and the label is one it knows (a new category cannot be
 * contradicted). `probabilities` are the serving model's, `labels` index `servingLabels`.
 */
export function contradictedLabels(args: {
  probabilities: Float32Array;
  servingLabels: string[];
  rows: number[];
  labels: (string | null)[];
  confidence: number;
}): number[] {
  const width = args.servingLabels.length;
  const flagged: number[] = [];
  args.rows.forEach((row, i) => {
    const label = args.labels[row];
    if (!label || !args.servingLabels.includes(label)) return;
    const p = args.probabilities.subarray(i * width, (i + 1) * width);
    let best = 0;
    for (let c = 1; c < width; c++) if ((p[c] as number) > (p[best] as number)) best = c;
    if (args.servingLabels[best] !== label && (p[best] as number) >= args.confidence) flagged.push(row);
  });
  return flagged;
}
