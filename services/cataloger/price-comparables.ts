import type { CatalogTransaction, Neighbour } from '../../shared/catalog/catalog.repository.ts';
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

/** Listings of a product read to find its most similar priced ones: bounded, so a popular product costs no more. */
export const PRODUCT_PRICE_SAMPLE = 100;

type CategoryRow = Awaited<ReturnType<CatalogTransaction['categoryPrices']>>[number];
type CategoryPrices = (
  tx: CatalogTransaction,
  ...args: Parameters<CatalogTransaction['categoryPrices']>
) => Promise<CategoryRow[]>;

/** A category's sample this large moves slowly: it is reused for a minute... */
const LARGE_SAMPLE = 1000;
const LARGE_TTL_MS = 60_000;
/** ...a smaller one for 10 s; both see this process's own listings at once. */
const SMALL_TTL_MS = 10_000;

export interface CategoryPriceSamples {
  /** For one batch: reads through the cache, and sees the batch's own listings at once. */
  forBatch(): {
    read: CategoryPrices;
    /** A listing just cataloged in the batch's transaction, priced in `currency`. */
    add(key: { space: string; category: string; currency: string }, row: CategoryRow): void;
    /** The batch committed: its listings join the cached samples. */
    commit(): void;
  };
}

const sampleKey = (space: string, category: string, currency: string) =>
  `${space}\u0000${category}\u0000${currency}`;

/**
 * The category price sample per (space, category, currency), cached: reading up to 2,000 prices
 * for every listing made cataloging slow down as the catalogue grew (measured with `grokcat bench
 * faults`, and issue 21's profiles). The listings this process catalogs enter the cached sample as
 * they commit, so one cataloger is exact; another process's listings are seen within the TTL.
 */
export function categoryPriceSamples(): CategoryPriceSamples {
  const cache = new Map<string, { rows: Map<string, CategoryRow>; at: number }>();
  return {
    forBatch() {
      const staged = new Map<string, Map<string, CategoryRow>>();
      return {
        async read(tx, space, category, currency, exclude) {
          const key = sampleKey(space, category, currency);
          let hit = cache.get(key);
          const ttl = hit && hit.rows.size >= LARGE_SAMPLE ? LARGE_TTL_MS : SMALL_TTL_MS;
          if (!hit || Date.now() - hit.at >= ttl) {
            const rows = await tx.categoryPrices(space, category, currency, '');
            hit = { rows: new Map(rows.map((r) => [r.listing_id, r])), at: Date.now() };
            cache.set(key, hit);
          }
          const mine = staged.get(key);
          const rows = mine ? new Map([...hit.rows, ...mine]) : hit.rows;
          return [...rows.values()].filter((r) => r.listing_id !== exclude);
        },
        add({ space, category, currency }, row) {
          const key = sampleKey(space, category, currency);
          const mine = staged.get(key) ?? new Map<string, CategoryRow>();
          mine.set(row.listing_id, row);
          staged.set(key, mine);
        },
        commit() {
          for (const [key, rows] of staged) {
            const hit = cache.get(key);
            if (hit) for (const [id, row] of rows) hit.rows.set(id, row);
          }
        },
      };
    },
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
  known: {
    /** The product's priced listings, when the caller read them with its write (`placeListing`). */
    sameProduct?: Neighbour[];
    /** The listing's condition, when the caller knows it. */
    condition?: string | null;
    categoryPrices?: CategoryPrices;
  } = {},
): Promise<PriceSuggestion & { currency: string }> {
  const sameProduct =
    known.sameProduct ??
    (await tx.productPrices(
      listing.productId,
      listing.space,
      listing.embedding,
      listing.id,
      MAX_PRODUCT_COMPARABLES,
      PRODUCT_PRICE_SAMPLE,
    ));
  const categoryPrices = known.categoryPrices ?? ((t, ...args) => t.categoryPrices(...args));
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
  const condition = known.condition !== undefined ? known.condition : await tx.conditionOf(listing.id);
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
