/** A listing with a known price that a suggestion may rest on. */
export interface PricedComparable {
  listing_id: string;
  /** Similarity to the listing being priced, in [-1, 1]. */
  similarity: number;
  amount_minor: number;
  currency: string;
  /** From the same canonical product (true) or a nearest neighbour in the same category. */
  same_product: boolean;
  condition?: string | null;
  /** Its price adjusted to the listing's condition, when the catalogue shows how condition moves prices. */
  adjusted_minor?: number;
}

export interface PriceRules {
  /** Fewest same-product comparables for a product median. */
  minProduct: number;
  /** Fewest comparables (product and neighbours) for a neighbour-weighted median. */
  minComparables: number;
  /** Fewest priced listings of the category for the category-median fallback. */
  minCategory: number;
  /** Neighbours less similar than this are not comparables. */
  minSimilarity: number;
}

export type PriceSuggestion =
  | {
      status: 'SUGGESTED';
      method: 'product_median' | 'neighbour_weighted_median' | 'category_median';
      amount_minor: number;
      low_minor: number;
      high_minor: number;
      currency: string;
      confidence: number;
      comparables: PricedComparable[];
      reason: null;
    }
  | { status: 'INSUFFICIENT_DATA'; method: 'none'; comparables: PricedComparable[]; reason: string };

/** The value below which `q` of the total weight lies (weights need not sum to 1). */
export function weightedQuantile(values: { value: number; weight: number }[], q: number): number {
  const sorted = values.filter((v) => v.weight > 0).sort((a, b) => a.value - b.value);
  const total = sorted.reduce((sum, v) => sum + v.weight, 0);
  if (sorted.length === 0 || total <= 0) return Number.NaN;
  let cumulative = 0;
  for (const entry of sorted) {
    cumulative += entry.weight;
    if (cumulative >= q * total - 1e-12) return entry.value;
  }
  return (sorted.at(-1) as { value: number }).value;
}

/**
 * Adjusts comparables to the listing's condition with the catalogue's own condition ratios (a
 * comparable "used" at 65 % of its product's median, a listing "new" at 100 %: x 100/65). Only
 * conditions seen on at least `minListings` listings are used; otherwise the price stays as asked.
 */
export function adjustForCondition(
  comparables: PricedComparable[],
  condition: string | null,
  ratios: Map<string, { ratio: number; listings: number }>,
  minListings = 5,
): PricedComparable[] {
  const known = (c: string | null | undefined) => {
    const entry = c ? ratios.get(c) : undefined;
    return entry && entry.listings >= minListings && entry.ratio > 0 ? entry.ratio : null;
  };
  const target = known(condition);
  return comparables.map((c) => {
    const theirs = known(c.condition);
    return target && theirs && c.condition !== condition
      ? { ...c, adjusted_minor: Math.round((c.amount_minor * target) / theirs) }
      : c;
  });
}

/**
 * Weight of a comparable: its similarity, sharpened (close look-alikes count much more than vague
 * ones), and doubled for the same product, which differs from this listing only in seller and state.
 */
export const comparableWeight = (c: PricedComparable) =>
  Math.max(0, c.similarity) ** 2 * (c.same_product ? 2 : 1);

const roundMinor = (value: number) => Math.round(value);

/**
 * The suggestion rules, in order: the same product's prices (product_median) when it has enough;
 * else a similarity-weighted median over the product's and the nearest neighbours' prices; else the
 * median price of the category (the stated fallback, low confidence); else no suggestion, with the
 * reason. The interval is the weighted 20th to 80th percentile. Confidence grows with the effective
 * number of comparables and their similarity and shrinks with their spread.
 */
export function suggestPrice(args: {
  comparables: PricedComparable[];
  categoryPrices: number[];
  category: string;
  currency: string;
  rules: PriceRules;
}): PriceSuggestion {
  const { rules, currency } = args;
  const usable = args.comparables
    .filter((c) => c.currency === currency && (c.same_product || c.similarity >= rules.minSimilarity))
    .sort((a, b) => b.similarity - a.similarity);
  const product = usable.filter((c) => c.same_product);
  const chosen =
    product.length >= rules.minProduct
      ? { method: 'product_median' as const, comparables: product }
      : usable.length >= rules.minComparables
        ? { method: 'neighbour_weighted_median' as const, comparables: usable }
        : null;
  if (chosen) {
    const weighted = chosen.comparables.map((c) => ({
      value: c.adjusted_minor ?? c.amount_minor,
      weight: comparableWeight(c),
    }));
    const weights = weighted.map((w) => w.weight);
    const sum = weights.reduce((s, w) => s + w, 0);
    if (sum > 0) {
      const median = weightedQuantile(weighted, 0.5);
      const low = weightedQuantile(weighted, 0.2);
      const high = weightedQuantile(weighted, 0.8);
      const effective = sum ** 2 / weights.reduce((s, w) => s + w * w, 0);
      const meanSimilarity =
        chosen.comparables.reduce((s, c) => s + Math.max(0, c.similarity), 0) / chosen.comparables.length;
      const spread = median > 0 ? (high - low) / median : 1;
      const confidence = (effective / (effective + 2)) * Math.min(1, meanSimilarity) * (1 / (1 + spread));
      return {
        status: 'SUGGESTED',
        method: chosen.method,
        amount_minor: roundMinor(median),
        low_minor: roundMinor(low),
        high_minor: roundMinor(high),
        currency,
        confidence: Number(confidence.toFixed(4)),
        comparables: chosen.comparables,
        reason: null,
      };
    }
  }
  if (args.categoryPrices.length >= rules.minCategory) {
    const flat = args.categoryPrices.map((value) => ({ value, weight: 1 }));
    const median = weightedQuantile(flat, 0.5);
    const low = weightedQuantile(flat, 0.2);
    const high = weightedQuantile(flat, 0.8);
    const spread = median > 0 ? (high - low) / median : 1;
    return {
      status: 'SUGGESTED',
      method: 'category_median',
      amount_minor: roundMinor(median),
      low_minor: roundMinor(low),
      high_minor: roundMinor(high),
      currency,
      // A category median says little about one item: capped low.
      confidence: Number((0.25 / (1 + spread)).toFixed(4)),
      comparables: usable,
      reason: null,
    };
  }
  return {
    status: 'INSUFFICIENT_DATA',
    method: 'none',
    comparables: usable,
    reason:
      `only ${usable.length} comparable listing(s) priced in ${currency} (need ${rules.minComparables}, ` +
      `or ${rules.minProduct} of the same product) and ${args.categoryPrices.length} in category ` +
      `${args.category} (need ${rules.minCategory})`,
  };
}
