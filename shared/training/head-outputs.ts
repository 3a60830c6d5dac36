import type { Dense, HeadWeights } from '../model/grok/head-weights.ts';

/** Outputs of the heads on shared features, computed as the exported ONNX graph computes them. */
export interface HeadOutputs {
  rows: number;
  embedding: Float32Array;
  category: Float32Array;
  attributes: Float32Array;
  queries: Float32Array;
}

function affine(features: Float32Array, rows: number, dense: Dense): Float32Array {
  const { inputs, outputs, weight, bias } = dense;
  const out = new Float32Array(rows * outputs);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * outputs, (r + 1) * outputs);
    row.set(bias);
    for (let i = 0; i < inputs; i++) {
      const x = features[r * inputs + i] as number;
      if (x === 0) continue;
      const w = weight.subarray(i * outputs, (i + 1) * outputs);
      for (let o = 0; o < outputs; o++) row[o] = (row[o] as number) + x * (w[o] as number);
    }
  }
  return out;
}

function softmaxRows(values: Float32Array, width: number): Float32Array {
  for (let r = 0; r < values.length / width; r++) {
    const row = values.subarray(r * width, (r + 1) * width);
    const max = Math.max(...row);
    let sum = 0;
    for (let i = 0; i < width; i++) {
      row[i] = Math.exp((row[i] as number) - max);
      sum += row[i] as number;
    }
    for (let i = 0; i < width; i++) row[i] = (row[i] as number) / sum;
  }
  return values;
}

const sigmoid = (values: Float32Array) => values.map((v) => 1 / (1 + Math.exp(-v)));

function l2Rows(values: Float32Array, width: number): Float32Array {
  for (let r = 0; r < values.length / width; r++) {
    const row = values.subarray(r * width, (r + 1) * width);
    const norm = Math.hypot(...row) || 1;
    for (let i = 0; i < width; i++) row[i] = (row[i] as number) / norm;
  }
  return values;
}

export const categoryProbabilities = (features: Float32Array, rows: number, category: Dense) =>
  softmaxRows(affine(features, rows, category), category.outputs);

export const embeddingsOf = (features: Float32Array, rows: number, embedding: Dense) =>
  l2Rows(affine(features, rows, embedding), embedding.outputs);

/** Embedding (L2-normalised), category (softmax), attributes and queries (sigmoid) of `rows` features. */
export function headOutputs(features: Float32Array, rows: number, heads: HeadWeights): HeadOutputs {
  return {
    rows,
    embedding: embeddingsOf(features, rows, heads.embedding),
    category: categoryProbabilities(features, rows, heads.category),
    attributes: sigmoid(affine(features, rows, heads.attributes)),
    queries: sigmoid(affine(features, rows, heads.queries)),
  };
}

/** Selected rows of a row-major matrix. */
export function pickRows(matrix: Float32Array, width: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    out.set(matrix.subarray(row * width, (row + 1) * width), i * width);
  });
  return out;
}
