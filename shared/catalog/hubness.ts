/**
 * Hubness correction for visual search of page photos (docs/catalog.md, "Page photos"). A few
 * catalogue products resemble every crop of every room scene (one product was in the top 5 of 86 %
 * of ikea scenes); cross-domain similarity local scaling (Conneau et al., "Word translation without
 * parallel data", 2018) ranks a product by how much more it resembles this photo than it usually
 * resembles page photos: similarity - hub, where hub is the mean of the product's k highest
 * similarities to the crops of recently tagged page photos. The query-side term of CSLS is left
 * out: it ranks regions, and a product scores its best region, so it would favour crops that
 * resemble nothing.
 */

/** k, chosen on the ikea-catalog dev scenes (3, 10 and 30 measured; docs/catalog.md). */
export const HUB_NEIGHBOURS = 10;

/** Mean of the k highest similarities; null while fewer than k are known (no correction yet). */
export function hubScore(similarities: readonly number[], k = HUB_NEIGHBOURS): number | null {
  if (k < 1 || similarities.length < k) return null;
  const top = [...similarities].sort((a, b) => b - a).slice(0, k);
  return top.reduce((sum, s) => sum + s, 0) / k;
}

export interface TagCandidate {
  product_id: number;
  listing_id: string | null;
  /** Cosine similarity of one region of the photo and the listing's embedding. */
  similarity: number;
  /** The listing's hub score, or null when there is no pool to measure it against. */
  hub: number | null;
}

export interface RankedProduct {
  product_id: number;
  listing_id: string | null;
  /** Best cosine similarity of any region and any listing of the product. */
  score: number;
  /** Best similarity - hub over the product's listings (equal to score without a pool). */
  corrected: number;
}

/**
 * Products best first by corrected score; each keeps its best raw similarity too, so a threshold
 * keeps its meaning of "this close". `tagged` are those at or above the threshold whose corrected
 * score is positive: the photo resembles them more than their usual page photo does.
 */
export function rankProducts(
  candidates: readonly TagCandidate[],
  threshold: number,
): { ranked: RankedProduct[]; tagged: RankedProduct[] } {
  const best = new Map<number, RankedProduct>();
  for (const c of candidates) {
    const corrected = c.hub === null ? c.similarity : c.similarity - c.hub;
    const seen = best.get(c.product_id);
    if (!seen) {
      best.set(c.product_id, {
        product_id: c.product_id,
        listing_id: c.listing_id,
        score: c.similarity,
        corrected,
      });
      continue;
    }
    if (corrected > seen.corrected) {
      seen.corrected = corrected;
      seen.listing_id = c.listing_id;
    }
    seen.score = Math.max(seen.score, c.similarity);
  }
  const hasPool = candidates.some((c) => c.hub !== null);
  const ranked = [...best.values()].sort((a, b) => b.corrected - a.corrected || b.score - a.score);
  const tagged = ranked.filter((p) => p.score >= threshold && (!hasPool || p.corrected > 0));
  return { ranked, tagged };
}
