/** Pure helpers to judge image features: pooling, normalising, nearest-neighbour accuracy. */

/** Generalised-mean pooling of a [C, H, W] map: (mean(max(x, eps)^p))^(1/p) per channel. */
export function gemPool(map: Float32Array, channels: number, p = 3, eps = 1e-6): Float32Array {
  const plane = map.length / channels;
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = 0; i < plane; i++) sum += Math.max(map[c * plane + i] as number, eps) ** p;
    out[c] = (sum / plane) ** (1 / p);
  }
  return out;
}

export function l2Normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  return vector.map((v) => v / norm);
}

/**
 * Leave-one-out 1-nearest-neighbour accuracy under cosine similarity (vectors already
 * L2-normalised): the share of items whose most similar other item has the same label. Items
 * whose label occurs once are left out (they have no correct neighbour).
 */
export function nearestNeighbourAccuracy(vectors: Float32Array[], labels: string[]): number {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  let hits = 0;
  let judged = 0;
  for (let i = 0; i < vectors.length; i++) {
    if ((counts.get(labels[i] as string) ?? 0) < 2) continue;
    const a = vectors[i] as Float32Array;
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < vectors.length; j++) {
      if (j === i) continue;
      const b = vectors[j] as Float32Array;
      let dot = 0;
      for (let k = 0; k < a.length; k++) dot += (a[k] as number) * (b[k] as number);
      if (dot > bestScore) {
        bestScore = dot;
        best = j;
      }
    }
    judged += 1;
    if (labels[best] === labels[i]) hits += 1;
  }
  return judged === 0 ? 0 : hits / judged;
}
