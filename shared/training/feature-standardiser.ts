import type { Dense } from '../model/grok/head-weights.ts';

/**
 * Per-dimension mean and scale of the shared features of training rows. The trunk's GeM features
 * are all positive and L2-normalised (any two photos have cosine about 0.97), so a head reading
 * them raw sees one direction shared by every photo and tiny differences around it; trained on
 * z = (h - mean) / scale, the same head learns in a few epochs what it never learned raw.
 */
export interface Standardiser {
  mean: Float32Array;
  scale: Float32Array;
}

/** A dimension that never varies keeps scale 1: its z is 0 for every training row. */
const MIN_SCALE = 1e-6;

export function fitStandardiser(features: Float32Array, rows: number, dims: number): Standardiser {
  const mean = new Float64Array(dims);
  const square = new Float64Array(dims);
  for (let r = 0; r < rows; r++)
    for (let d = 0; d < dims; d++) {
      const v = features[r * dims + d] as number;
      mean[d] = (mean[d] as number) + v;
      square[d] = (square[d] as number) + v * v;
    }
  const out = { mean: new Float32Array(dims), scale: new Float32Array(dims) };
  for (let d = 0; d < dims; d++) {
    const m = (mean[d] as number) / Math.max(1, rows);
    const variance = Math.max(0, (square[d] as number) / Math.max(1, rows) - m * m);
    out.mean[d] = m;
    out.scale[d] = Math.sqrt(variance) > MIN_SCALE ? Math.sqrt(variance) : 1;
  }
  return out;
}

export function standardise(features: Float32Array, dims: number, s: Standardiser): Float32Array {
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i++) {
    const d = i % dims;
    out[i] = ((features[i] as number) - (s.mean[d] as number)) / (s.scale[d] as number);
  }
  return out;
}

/**
 * A layer trained on standardised features as one on raw features, so the served graph keeps its
 * inputs: z W + b = h (W / scale) + (b - (mean / scale) W).
 */
export function foldIntoRaw(dense: Dense, s: Standardiser): Dense {
  const { inputs, outputs } = dense;
  const weight = new Float32Array(inputs * outputs);
  const bias = Float32Array.from(dense.bias);
  for (let i = 0; i < inputs; i++) {
    const scale = s.scale[i] as number;
    const shift = (s.mean[i] as number) / scale;
    for (let o = 0; o < outputs; o++) {
      const w = dense.weight[i * outputs + o] as number;
      weight[i * outputs + o] = w / scale;
      bias[o] = (bias[o] as number) - shift * w;
    }
  }
  return { inputs, outputs, weight, bias };
}

/** The inverse of foldIntoRaw: a raw-feature layer (a warm start) as one on standardised features. */
export function unfoldFromRaw(dense: Dense, s: Standardiser): Dense {
  const { inputs, outputs } = dense;
  const weight = new Float32Array(inputs * outputs);
  const bias = Float32Array.from(dense.bias);
  for (let i = 0; i < inputs; i++) {
    const scale = s.scale[i] as number;
    for (let o = 0; o < outputs; o++) {
      const w = dense.weight[i * outputs + o] as number;
      weight[i * outputs + o] = w * scale;
      bias[o] = (bias[o] as number) + (s.mean[i] as number) * w;
    }
  }
  return { inputs, outputs, weight, bias };
}
