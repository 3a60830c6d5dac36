import type { Dense } from '../model/grok/head-weights.ts';
import { seededUniform } from './seeded-random.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

/** Most rows the covariances are estimated from (a seeded sample beyond it; 576^2 work per row). */
const MAX_ROWS = 20_000;

/**
 * A projection learned from product identities in closed form: the "learned whitening" of
 * Radenovic, Tolias & Chum (TPAMI 2018, section 3.3). Features are centred, whitened by the
 * within-product covariance (so the variation between photos of one product: viewpoint, light,
 * background, shrinks to unit scale) and rotated onto the leading `outputs` directions of what is
 * left (variation between products). The within-product covariance is shrunk towards
 * `shrinkage * mean variance * I` (Ledoit-Wolf style) so a few hundred photos cannot blow up the
 * directions they never saw vary. Rows with product -1 count only towards the mean and the
 * between-product directions.
 *
 * Why it exists: on a frozen trunk with a few dozen products, gradient training of the projection
 * overfits those products; this estimate generalises to unseen ones (grocery-store, product-disjoint
 * test: recall@1 0.08 -> 0.28), and the ArcFace and pairwise losses then fine-tune it.
 */
export function learnedWhitening(args: {
  features: Float32Array;
  dims: number;
  products: Int32Array;
  outputs: number;
  shrinkage: number;
  seed: number;
}): Dense {
  const { dims, outputs } = args;
  const rows = sampleRows(args.products.length, args.seed);
  const mean = new Float64Array(dims);
  for (const r of rows)
    for (let d = 0; d < dims; d++)
      mean[d] = (mean[d] as number) + (args.features[r * dims + d] as number) / rows.length;

  const groups = new Map<number, number[]>();
  for (const r of rows) {
    const product = args.products[r] as number;
    if (product >= 0) groups.set(product, [...(groups.get(product) ?? []), r]);
  }
  const within = new Float64Array(dims * dims);
  let members = 0;
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const centre = new Float64Array(dims);
    for (const r of group)
      for (let d = 0; d < dims; d++)
        centre[d] = (centre[d] as number) + (args.features[r * dims + d] as number) / group.length;
    for (const r of group) {
      addOuter(
        within,
        Float64Array.from(centre, (c, d) => (args.features[r * dims + d] as number) - c),
        dims,
      );
      members += 1;
    }
  }
  if (members === 0) throw new Error('learned whitening needs a product with at least two rows');
  symmetrise(within, dims, 1 / members);
  let trace = 0;
  for (let d = 0; d < dims; d++) trace += within[d * dims + d] as number;
  for (let d = 0; d < dims; d++)
    within[d * dims + d] = (within[d * dims + d] as number) + (args.shrinkage * trace) / dims;

  // P1 = C_w^{-1/2} = V diag(1/sqrt(lambda)) V^T
  const w = symmetricEigen(within, dims);
  const p1 = new Float64Array(dims * dims);
  for (let i = 0; i < dims; i++)
    for (let j = i; j < dims; j++) {
      let sum = 0;
      for (let k = 0; k < dims; k++)
        sum +=
          ((w.vectors[i * dims + k] as number) * (w.vectors[j * dims + k] as number)) /
          Math.sqrt(w.values[k] as number);
      p1[i * dims + j] = sum;
      p1[j * dims + i] = sum;
    }

  // Covariance of the whitened, centred rows; its leading eigenvectors separate products.
  const total = new Float64Array(dims * dims);
  const centred = new Float64Array(dims);
  const whitened = new Float64Array(dims);
  for (const r of rows) {
    for (let d = 0; d < dims; d++) centred[d] = (args.features[r * dims + d] as number) - (mean[d] as number);
    whitened.fill(0);
    for (let i = 0; i < dims; i++) {
      const x = centred[i] as number;
      for (let j = 0; j < dims; j++) whitened[j] = (whitened[j] as number) + x * (p1[i * dims + j] as number);
    }
    addOuter(total, whitened, dims);
  }
  symmetrise(total, dims, 1 / rows.length);
  const between = symmetricEigen(total, dims);

  const weight = new Float32Array(dims * outputs);
  for (let i = 0; i < dims; i++)
    for (let o = 0; o < outputs; o++) {
      let sum = 0;
      for (let k = 0; k < dims; k++)
        sum += (p1[i * dims + k] as number) * (between.vectors[k * dims + o] as number);
      weight[i * outputs + o] = sum;
    }
  const bias = new Float32Array(outputs);
  for (let o = 0; o < outputs; o++) {
    let sum = 0;
    for (let i = 0; i < dims; i++) sum -= (mean[i] as number) * (weight[i * outputs + o] as number);
    bias[o] = sum;
  }
  return { inputs: dims, outputs, weight, bias };
}

function sampleRows(count: number, seed: number): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (count <= MAX_ROWS) return all;
  const random = seededUniform(seed);
  for (let i = 0; i < MAX_ROWS; i++) {
    const j = i + Math.floor(random() * (count - i));
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, MAX_ROWS).sort((x, y) => x - y);
}

/** Upper triangle of m += x x^T. */
function addOuter(m: Float64Array, x: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    if (xi === 0) continue;
    for (let j = i; j < n; j++) m[i * n + j] = (m[i * n + j] as number) + xi * (x[j] as number);
  }
}

/** Scales the upper triangle and mirrors it into the lower. */
function symmetrise(m: Float64Array, n: number, scale: number): void {
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      const v = (m[i * n + j] as number) * scale;
      m[i * n + j] = v;
      m[j * n + i] = v;
    }
}
