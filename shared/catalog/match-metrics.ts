export interface MatchScores {
  precision: number;
  recall: number;
  f1: number;
}

const f1Of = (precision: number, recall: number) =>
  precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
const round = (value: number) => Number(value.toFixed(4));

/** Items of one cluster share the cluster id; `truth` and `predicted` map every item to one. */
function groups<K>(assignment: Map<K, string>): Map<string, K[]> {
  const out = new Map<string, K[]>();
  for (const [item, cluster] of assignment) out.set(cluster, [...(out.get(cluster) ?? []), item]);
  return out;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

/**
 * Pairwise precision, recall and F1 of a clustering: over all pairs of items, a predicted pair is
 * right when both are truly the same product.
 */
export function pairwiseScores<K>(truth: Map<K, string>, predicted: Map<K, string>): MatchScores {
  let predictedPairs = 0;
  let truePairs = 0;
  let correct = 0;
  for (const members of groups(predicted).values()) {
    predictedPairs += pairs(members.length);
    const byTruth = new Map<string, number>();
    for (const item of members) {
      const t = truth.get(item) ?? `?${String(item)}`;
      byTruth.set(t, (byTruth.get(t) ?? 0) + 1);
    }
    for (const count of byTruth.values()) correct += pairs(count);
  }
  for (const members of groups(truth).values()) truePairs += pairs(members.length);
  const precision = predictedPairs === 0 ? 1 : correct / predictedPairs;
  const recall = truePairs === 0 ? 1 : correct / truePairs;
  return { precision: round(precision), recall: round(recall), f1: round(f1Of(precision, recall)) };
}

/**
 * Shopee's metric (Kaggle "Shopee - Price Match Guarantee", 2021): for every item, the set of items
 * predicted to match it (itself included) against the set truly matching it; precision, recall and
 * F1 per item, averaged over items.
 */
export function perListingScores<K>(truth: Map<K, string>, predicted: Map<K, string>): MatchScores {
  const truthGroups = groups(truth);
  const predictedGroups = groups(predicted);
  let p = 0;
  let r = 0;
  let f = 0;
  for (const [item, cluster] of predicted) {
    const mine = new Set(predictedGroups.get(cluster) ?? [item]);
    const real = new Set(truthGroups.get(truth.get(item) ?? '') ?? [item]);
    let both = 0;
    for (const other of mine) if (real.has(other)) both += 1;
    const precision = both / mine.size;
    const recall = both / real.size;
    p += precision;
    r += recall;
    f += f1Of(precision, recall);
  }
  const n = Math.max(1, predicted.size);
  return { precision: round(p / n), recall: round(r / n), f1: round(f / n) };
}

/**
 * The exact-product threshold from labelled pairs (a person confirmed or rejected a match): the score
 * that maximises F1 of "score >= threshold means same product" over them. Null when the labels do not
 * hold both outcomes.
 */
export function calibrateThreshold(
  labelled: { score: number; same: boolean }[],
): { threshold: number; f1: number; pairs: number } | null {
  const positives = labelled.filter((l) => l.same).length;
  if (positives === 0 || positives === labelled.length) return null;
  const sorted = [...labelled].sort((a, b) => b.score - a.score);
  let best = { threshold: 1, f1: -1 };
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    const entry = sorted[i] as { score: number; same: boolean };
    if (entry.same) tp += 1;
    else fp += 1;
    // Only between distinct scores: a threshold cannot split tied pairs.
    const next = sorted[i + 1];
    if (next && next.score === entry.score) continue;
    const f1 = f1Of(tp / (tp + fp), tp / positives);
    if (f1 > best.f1) best = { threshold: next ? (entry.score + next.score) / 2 : entry.score, f1 };
  }
  return { threshold: round(best.threshold), f1: round(best.f1), pairs: labelled.length };
}
