/** One merge of the dendrogram: the clusters holding items `a` and `b` join at average similarity `height`. */
export interface Merge {
  a: number;
  b: number;
  height: number;
}

/**
 * Average-linkage (UPGMA) agglomeration of `n` items from their pairwise similarities (row-major
 * n x n, symmetric), by the nearest-neighbour chain (Murtagh 1983) with Lance-Williams updates:
 * O(n^2) time and one n x n copy. Two clusters join on the mean of all their cross pairs, so one
 * close pair no longer chains two products together as single linkage does. Average linkage is
 * reducible, so the chain finds the greedy algorithm's merges; they are returned highest first, and
 * heights never rise going up the tree, so the merges at or above a threshold are a valid cut.
 */
export function averageLinkage(similarity: ArrayLike<number>, n: number): Merge[] {
  const s = Float64Array.from(similarity);
  const size = new Float64Array(n).fill(1);
  const active = new Uint8Array(n).fill(1);
  // Item standing for each cluster (the cluster's slot in `s`).
  const merges: Merge[] = [];
  const chain: number[] = [];
  let remaining = n;
  while (remaining > 1) {
    if (chain.length === 0) chain.push(active.indexOf(1));
    const a = chain[chain.length - 1] as number;
    const previous = chain.length >= 2 ? (chain[chain.length - 2] as number) : -1;
    let best = previous;
    let bestScore = previous >= 0 ? (s[a * n + previous] as number) : Number.NEGATIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      if (k === a || active[k] === 0) continue;
      const score = s[a * n + k] as number;
      if (score > bestScore) {
        best = k;
        bestScore = score;
      }
    }
    if (best !== previous) {
      chain.push(best);
      continue;
    }
    chain.length -= 2;
    merges.push({ a, b: best, height: bestScore });
    const [sa, sb] = [size[a] as number, size[best] as number];
    for (let k = 0; k < n; k++) {
      if (active[k] === 0 || k === a || k === best) continue;
      const joined = (sa * (s[a * n + k] as number) + sb * (s[best * n + k] as number)) / (sa + sb);
      s[a * n + k] = joined;
      s[k * n + a] = joined;
    }
    size[a] = sa + sb;
    active[best] = 0;
    remaining -= 1;
  }
  return merges.sort((x, y) => y.height - x.height);
}

/** Cluster of every item when the dendrogram is cut at `threshold` (merges at or above it applied). */
export function cutDendrogram(merges: Merge[], n: number, threshold: number): Int32Array {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    let i = x;
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  for (const merge of merges) {
    if (merge.height < threshold) break;
    parent[find(merge.b)] = find(merge.a);
  }
  return Int32Array.from({ length: n }, (_, i) => find(i));
}
