/**
 * The trainer's evaluation metrics as pure functions over row-major score matrices: category
 * top-k accuracy, attribute mean average precision, query recall@k and product retrieval recall@1.
 */

/** Indices of the k largest values of one row. */
export function topIndices(row: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: row.length }, (_, i) => i)
    .sort((a, b) => (row[b] as number) - (row[a] as number))
    .slice(0, k);
}

const rowOf = (matrix: Float32Array, width: number, i: number) => matrix.subarray(i * width, (i + 1) * width);

/** Share of rows whose label is among the k highest scores; rows labelled -1 are not judged. */
export function topKAccuracy(scores: Float32Array, classes: number, labels: Int32Array, k: number): number {
  let judged = 0;
  let hits = 0;
  labels.forEach((label, i) => {
    if (label < 0) return;
    judged += 1;
    const row = rowOf(scores, classes, i);
    // A row of equal scores (heads that know none of these labels) ranks nothing: a miss.
    if (row.every((v) => v === row[0])) return;
    if (topIndices(row, k).includes(label)) hits += 1;
  });
  return judged === 0 ? 0 : hits / judged;
}

/** Average precision of one label: mean precision at the rank of each positive (ties: stable order). */
export function averagePrecision(scores: ArrayLike<number>, positives: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  let seen = 0;
  let sum = 0;
  order.forEach((row, rank) => {
    if ((positives[row] as number) > 0) {
      seen += 1;
      sum += seen / (rank + 1);
    }
  });
  return seen === 0 ? Number.NaN : sum / seen;
}

/** Mean over labels (columns) with at least one positive of their average precision. */
export function meanAveragePrecision(scores: Float32Array, targets: Float32Array, labels: number): number {
  const rows = scores.length / labels;
  let sum = 0;
  let counted = 0;
  for (let l = 0; l < labels; l++) {
    const column = new Float32Array(rows);
    const positive = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      column[r] = scores[r * labels + l] as number;
      positive[r] = targets[r * labels + l] as number;
    }
    const ap = averagePrecision(column, positive);
    if (!Number.isNaN(ap)) {
      sum += ap;
      counted += 1;
    }
  }
  return counted === 0 ? 0 : sum / counted;
}

/**
 * Mean over rows with positives of the share of their positives found in the k highest scores.
 * Scores tied at the k-th place share the remaining places: a positive among them counts by its
 * chance of being drawn (the expectation under random tie-breaking), so heads that score every
 * label alike get chance, not whatever the label order gives.
 */
export function recallAtK(scores: Float32Array, targets: Float32Array, labels: number, k: number): number {
  const rows = scores.length / labels;
  let sum = 0;
  let judged = 0;
  for (let r = 0; r < rows; r++) {
    const truth = rowOf(targets, labels, r);
    const positives = truth.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
    if (positives === 0) continue;
    const row = rowOf(scores, labels, r);
    const top = topIndices(row, k);
    const cut = row[top[top.length - 1] as number] as number;
    let above = 0;
    let positivesAbove = 0;
    let tied = 0;
    let positivesTied = 0;
    row.forEach((score, i) => {
      const positive = (truth[i] as number) > 0 ? 1 : 0;
      if (score > cut) {
        above += 1;
        positivesAbove += positive;
      } else if (score === cut) {
        tied += 1;
        positivesTied += positive;
      }
    });
    const found = positivesAbove + (positivesTied * Math.max(0, top.length - above)) / Math.max(1, tied);
    sum += found / positives;
    judged += 1;
  }
  return judged === 0 ? 0 : sum / judged;
}

/**
 * Product retrieval recall@1: for each query embedding, is the most similar gallery embedding
 * (dot product of L2-normalised vectors) of the same product?
 */
export function retrievalRecallAt1(args: {
  queries: Float32Array;
  queryProducts: string[];
  gallery: Float32Array;
  galleryProducts: string[];
  dims: number;
}): number {
  const { queries, gallery, dims } = args;
  let hits = 0;
  for (let q = 0; q < args.queryProducts.length; q++) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let g = 0; g < args.galleryProducts.length; g++) {
      let dot = 0;
      for (let d = 0; d < dims; d++)
        dot += (queries[q * dims + d] as number) * (gallery[g * dims + d] as number);
      if (dot > bestScore) {
        bestScore = dot;
        best = g;
      }
    }
    if (args.galleryProducts[best] === args.queryProducts[q]) hits += 1;
  }
  return args.queryProducts.length === 0 ? 0 : hits / args.queryProducts.length;
}

/**
 * Expected calibration error of top-1 confidences: |accuracy - confidence| averaged over `bins`
 * equal-width confidence bins, weighted by how many predictions fall in each.
 */
export function expectedCalibrationError(confidences: number[], correct: boolean[], bins = 10): number {
  const sums = Array.from({ length: bins }, () => ({ n: 0, confidence: 0, right: 0 }));
  confidences.forEach((confidence, i) => {
    const bin = sums[Math.min(bins - 1, Math.floor(confidence * bins))] as (typeof sums)[number];
    bin.n += 1;
    bin.confidence += confidence;
    if (correct[i]) bin.right += 1;
  });
  const total = confidences.length || 1;
  return sums.reduce(
    (error, bin) => error + (bin.n === 0 ? 0 : Math.abs(bin.right - bin.confidence) / total),
    0,
  );
}
