import { averageLinkage, cutDendrogram } from '../../shared/catalog/average-linkage.ts';
import { type MatchScores, pairwiseScores, perListingScores } from '../../shared/catalog/match-metrics.ts';
import { createUnionFind } from '../../shared/catalog/union-find.ts';
import { dHash, hashDistance, pHash } from '../../shared/image/perceptual-hash.ts';

export interface EvalItem {
  id: string;
  /** The true product. */
  truth: string;
  /** Thresholds are chosen on the calibration items and scored on the test items (disjoint products). */
  split: 'calibration' | 'test';
}

/**
 * How pairs become products: `average` joins two clusters when the mean score of all their cross
 * pairs reaches the threshold (the cataloger's rule: agreement with a product as a whole);
 * `single` when any one pair does (transitive matches, which chain products together).
 */
export type Linkage = 'average' | 'single';

export interface MethodResult {
  linkage: Linkage;
  /** Chosen on the calibration half (best pairwise F1 there). */
  threshold: number;
  calibration_f1: number;
  pairwise: MatchScores;
  per_listing: MatchScores;
}

/** Pair scores of one method, for items i < j of one split. */
export type PairScorer = (a: number, b: number) => number;

/** Clusters of one split at any threshold, for one linkage. */
function clusterer(indices: number[], scores: Float64Array, n: number, linkage: Linkage) {
  if (linkage === 'average') {
    const local = new Float64Array(indices.length * indices.length);
    indices.forEach((i, x) => {
      indices.forEach((j, y) => {
        local[x * indices.length + y] = scores[i * n + j] as number;
      });
    });
    const merges = averageLinkage(local, indices.length);
    return (threshold: number) => {
      const clusters = cutDendrogram(merges, indices.length, threshold);
      return new Map(indices.map((i, x) => [i, String(clusters[x])]));
    };
  }
  return (threshold: number) => {
    const sets = createUnionFind<number>();
    for (const i of indices) sets.find(i);
    for (let x = 0; x < indices.length; x++)
      for (let y = x + 1; y < indices.length; y++) {
        const i = indices[x] as number;
        const j = indices[y] as number;
        if ((scores[i * n + j] as number) >= threshold) sets.union(i, j);
      }
    return new Map(indices.map((i) => [i, String(sets.find(i))]));
  };
}

/**
 * Scores one matching method: all pairs within each half are scored, clustered with `linkage`, the
 * threshold is swept over the calibration half's score quantiles, and the best one is applied,
 * unchanged, to the test half.
 */
export function evaluateMethod(
  items: EvalItem[],
  scorer: PairScorer,
  linkage: Linkage = 'average',
): MethodResult {
  const n = items.length;
  const scores = new Float64Array(n * n);
  const halves = { calibration: [] as number[], test: [] as number[] };
  items.forEach((item, i) => {
    halves[item.split].push(i);
  });
  const sampled: number[] = [];
  for (const indices of Object.values(halves))
    for (let x = 0; x < indices.length; x++)
      for (let y = x + 1; y < indices.length; y++) {
        const i = indices[x] as number;
        const j = indices[y] as number;
        const s = scorer(i, j);
        scores[i * n + j] = s;
        scores[j * n + i] = s;
        sampled.push(s);
      }
  const truth = (indices: number[]) => new Map(indices.map((i) => [i, (items[i] as EvalItem).truth]));
  sampled.sort((a, b) => b - a);
  // Candidate thresholds: the top scores densely (few true pairs), then coarser quantiles.
  const candidates = new Set<number>();
  for (let k = 0; k < Math.min(sampled.length, 400); k += 2) candidates.add(sampled[k] as number);
  for (let q = 0; q <= 200; q++)
    candidates.add(sampled[Math.floor((q / 200) * (sampled.length - 1))] as number);
  let best = { threshold: Number.POSITIVE_INFINITY, f1: -1 };
  const calibrationTruth = truth(halves.calibration);
  const calibrationClusters = clusterer(halves.calibration, scores, n, linkage);
  for (const threshold of candidates) {
    const f1 = pairwiseScores(calibrationTruth, calibrationClusters(threshold)).f1;
    if (f1 > best.f1) best = { threshold, f1 };
  }
  const predicted = clusterer(halves.test, scores, n, linkage)(best.threshold);
  const testTruth = truth(halves.test);
  return {
    linkage,
    threshold: Number(best.threshold.toFixed(4)),
    calibration_f1: best.f1,
    pairwise: pairwiseScores(testTruth, predicted),
    per_listing: perListingScores(testTruth, predicted),
  };
}

/** Both scores of a clustering that was decided elsewhere (the pipeline's own products). */
export function scoreAssignment(truth: Map<string, string>, predicted: Map<string, string>) {
  return { pairwise: pairwiseScores(truth, predicted), per_listing: perListingScores(truth, predicted) };
}

export const dot = (a: Float32Array, b: Float32Array) => {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += (a[k] as number) * (b[k] as number);
  return sum;
};

/** The perceptual-hash baselines as pair scorers (1 - differing bits / 64) over the same photos. */
export async function perceptualScorers(
  photos: Uint8Array[],
): Promise<{ phash: PairScorer; dhash: PairScorer }> {
  const scorer = (hashes: string[]) => (i: number, j: number) =>
    1 - hashDistance(hashes[i] as string, hashes[j] as string) / 64;
  const phashes: string[] = [];
  const dhashes: string[] = [];
  // Sequential: sharp runs each on its own threads already.
  for (const bytes of photos) {
    phashes.push(await pHash(bytes));
    dhashes.push(await dHash(bytes));
  }
  return { phash: scorer(phashes), dhash: scorer(dhashes) };
}
