import type { CatalogTransaction } from '../../shared/catalog/catalog.repository.ts';
import {
  adjustForCondition,
  type PriceRules,
  type PriceSuggestion,
  suggestPrice,
} from '../../shared/catalog/price-suggestion.ts';
import type { Scored } from './canonicalize.ts';

/** Documented in docs/catalog.md: a product median needs 2 prices, a neighbour median 3, a category 5. */
export const PRICE_RULES: PriceRules = {
  minProduct: 2,
  minComparables: 3,
  minCategory: 5,
  minSimilarity: 0.5,
};

/** Same-product comparables kept, the most similar first: a median of 50 moves little past that. */
export const MAX_PRODUCT_COMPARABLES = 50;

type CategoryPrices = (
  tx: CatalogTransaction,
  ...args: Parameters<CatalogTransaction['categoryPrices']>
) => ReturnType<CatalogTransaction['categoryPrices']>;

/** A category's sample this large moves slowly: it is reused for a minute instead of read per listing. */
const LARGE_SAMPLE = 1000;
const SAMPLE_TTL_MS = 60_000;

/**
 * The category price sample per (space, category, currency), cached while it is large: reading up
 * to 2,000 prices for every listing made cataloging slow down as the catalogue grew (measured with
 * `grokcat bench faults`). Small categories are read every time, so a new one is exact.
 */
export function cachedCategoryPrices(): CategoryPrices {
  const cache = new Map<string, { rows: Awaited<ReturnType<CategoryPrices>>; at: number }>();
  return async (tx, space, category, currency, exclude) => {
    const key = `${space}\u0000${category}\u0000${currency}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < SAMPLE_TTL_MS) return hit.rows.filter((r) => r.listing_id !== exclude);
    const rows = await tx.categoryPrices(space, category, currency, exclude);
    if (rows.length >= LARGE_SAMPLE) cache.set(key, { rows, at: Date.now() });
    else cache.delete(key);
    return rows;
  };
}

/**
 * Gathers the comparables of one listing, the priced listings of its product and its priced nearest
 * neighbours in the same predicted category, and suggests a price. The currency is the listing's
 * own, or (unpriced listing) the one most of its comparables use.
 */
export async function priceListing(
  tx: CatalogTransaction,
  listing: {
    id: string;
    productId: number;
    category: string;
    currency: string | null;
    space: string;
    embedding: number[];
  },
  scored: Scored[],
  ratios: Map<string, { ratio: number; listings: number }>,
  categoryPrices: CategoryPrices = (t, ...args) => t.categoryPrices(...args),
): Promise<PriceSuggestion & { currency: string }> {
  const sameProduct = await tx.productPrices(
    listing.productId,
    listing.space,
    listing.embedding,
    listing.id,
    MAX_PRODUCT_COMPARABLES,
  );
  const inProduct = new Set(sameProduct.map((c) => c.listing_id));
  const neighbours = scored.filter(
    (n) => n.price_minor !== null && n.category === listing.category && !inProduct.has(n.listing_id),
  );
  const comparables = [
    ...sameProduct.map((c) => ({ ...c, same_product: true })),
    ...neighbours.map((c) => ({ ...c, same_product: false })),
  ].map((c) => ({
    listing_id: c.listing_id,
    similarity: Number(c.similarity.toFixed(4)),
    amount_minor: c.price_minor as number,
    currency: c.currency as string,
    same_product: c.same_product,
    condition: c.condition,
  }));
  const condition = await tx.conditionOf(listing.id);
  const adjusted = adjustForCondition(comparables, condition, ratios);
  const currency = listing.currency ?? majority(comparables.map((c) => c.currency)) ?? 'EUR';
  // The category's prices too are brought to this listing's condition before their median is taken.
  const inCategory = adjustForCondition(
    (await categoryPrices(tx, listing.space, listing.category, currency, listing.id)).map((p, i) => ({
      listing_id: String(i),
      similarity: 0,
      amount_minor: p.amount_minor,
      currency,
      same_product: false,
      condition: p.condition,
    })),
    condition,
    ratios,
  ).map((p) => p.adjusted_minor ?? p.amount_minor);
  const suggestion = suggestPrice({
    comparables: adjusted,
    categoryPrices: inCategory,
    category: listing.category,
    currency,
    rules: PRICE_RULES,
  });
  return { ...suggestion, currency };
}

function majority(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}
