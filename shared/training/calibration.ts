/**
 * Calibration fitted on held-out predictions: isotonic regression of top-1 category confidence
 * onto correctness (pool-adjacent-violators), and per-label decision thresholds for a target
 * precision. Both are stored in the model card and applied at serving time.
 */

/** A monotone piecewise-linear map from raw confidence to calibrated probability. */
export interface IsotonicMap {
  x: number[];
  y: number[];
}

/**
 * Pool-adjacent-violators: the non-decreasing step function closest (least squares) to the
 * outcomes ordered by score; each pooled block becomes one knot at its mean score.
 */
export function fitIsotonic(scores: number[], outcomes: number[]): IsotonicMap {
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  const blocks: { sum: number; weight: number; score: number }[] = [];
  for (const i of order) {
    blocks.push({ sum: outcomes[i] as number, weight: 1, score: scores[i] as number });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1] as (typeof blocks)[number];
      const previous = blocks[blocks.length - 2] as (typeof blocks)[number];
      if (previous.sum / previous.weight <= last.sum / last.weight) break;
      blocks.splice(blocks.length - 2, 2, {
        sum: previous.sum + last.sum,
        weight: previous.weight + last.weight,
        score:
          (previous.score * previous.weight + last.score * last.weight) / (previous.weight + last.weight),
      });
    }
  }
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return { x: blocks.map((b) => round(b.score)), y: blocks.map((b) => round(b.sum / b.weight)) };
}

/** Linear interpolation between knots, constant beyond the ends; identity for an empty map. */
export function applyIsotonic(map: IsotonicMap | undefined, score: number): number {
  if (!map || map.x.length === 0) return score;
  const { x, y } = map;
  if (score <= (x[0] as number)) return y[0] as number;
  if (score >= (x[x.length - 1] as number)) return y[y.length - 1] as number;
  let hi = 1;
  while ((x[hi] as number) < score) hi += 1;
  const [x0, x1, y0, y1] = [x[hi - 1] as number, x[hi] as number, y[hi - 1] as number, y[hi] as number];
  return x1 === x0 ? y1 : y0 + ((score - x0) / (x1 - x0)) * (y1 - y0);
}

/**
 * The lowest threshold at which the predictions scoring at or above it reach the target precision,
 * judged only with at least `minSupport` of them; 1 (never predicted) when no threshold gets there,
 * and `fallback` when the label has no positive example to judge by.
 */
export function thresholdForPrecision(
  scores: ArrayLike<number>,
  positives: ArrayLike<number>,
  target: number,
  { minSupport = 3, fallback = 0.5 }: { minSupport?: number; fallback?: number } = {},
): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  const total = order.filter((i) => (positives[i] as number) > 0).length;
  if (total === 0) return fallback;
  let hits = 0;
  let best = 1;
  order.forEach((row, rank) => {
    if ((positives[row] as number) > 0) hits += 1;
    const next = order[rank + 1];
    // Only cut between distinct scores: a threshold cannot split a tie.
    if (next !== undefined && scores[next] === scores[row]) return;
    if (rank + 1 >= minSupport && hits / (rank + 1) >= target) best = scores[row] as number;
  });
  return Math.round(best * 1e6) / 1e6;
}
