import type { Knex } from 'knex';
import {
  batchMatchLabels,
  ensureListingStates,
  type Placement,
  type PriceSample,
  placeListing,
  priceRow,
  productPricesSql,
  storePriceSuggestions,
} from './listing-placement.ts';
import { type MemberQuery, memberSimilarities } from './member-similarity.ts';
import { lockProducts, lockSpace } from './placement-locks.ts';
import { ensureVectorIndex, vectorLiteral, vectorSql } from './vector-index.ts';

export interface ListingRecord {
  id: string;
  title: string;
  description: string;
  price: { amount_minor: number; currency: string } | null;
  seller_id: string | null;
  marketplace_category: string | null;
  condition: string | null;
  source_event_id: string;
}

export interface ImageRecord {
  position: number;
  ref_kind: 'url' | 'file' | 'inline';
  ref: string;
  sha256: string | null;
  width: number | null;
  height: number | null;
  status: 'ok' | 'failed';
  error_code: string | null;
  error_message: string | null;
  /** An inline photo's bytes, kept because they cannot be fetched again; null for the others. */
  inline_bytes: Uint8Array | null;
}

export interface EnrichmentRecord {
  listing_id: string;
  model_version: string;
  embedding_space: string;
  category: string;
  category_confidence: number;
  /** False: an open-set model declared the photos outside what it knows (category is a guess). */
  category_known: boolean;
  attributes: Record<string, { label: string; p: number }[]>;
  queries: { query: string; p: number }[];
  embedding: number[];
  source_event_id: string;
}

export interface Neighbour {
  listing_id: string;
  product_id: number | null;
  similarity: number;
  title: string;
  price_minor: number | null;
  currency: string | null;
  category: string;
  condition: string | null;
}

export interface MatchLabel {
  a: string;
  b: string;
  same: boolean;
}

const toNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/**
 * The catalogue in Postgres: listings, their photos, enrichments per model version, canonical
 * products (union-find through `merged_into`) and price suggestions. Every write is an upsert
 * keyed by what the event names, so a redelivered batch rewrites the same rows.
 */
export function createCatalogRepository(knex: Knex) {
  return {
    knex,
    transaction: <T>(work: (tx: CatalogTransaction) => Promise<T>) =>
      knex.transaction((trx) => work(catalogTransaction(trx))),
    /** The embedding space of a model version (its card's, else the version itself); null if unknown. */
    async spaceOf(version: string): Promise<string | null> {
      const row = await knex('model_versions').where({ version }).first('card');
      if (!row) return null;
      const card = (typeof row.card === 'string' ? JSON.parse(row.card) : row.card) as {
        embedding_space?: string;
      };
      return card.embedding_space ?? version;
    },
    /** How far these listings got: enriched, cataloged (in a product), distinct products, priced. */
    async progress(
      listingIds: string[],
    ): Promise<{ enriched: number; cataloged: number; products: number; priced: number }> {
      if (listingIds.length === 0) return { enriched: 0, cataloged: 0, products: 0, priced: 0 };
      const rows = await knex.raw(
        `SELECT (SELECT count(DISTINCT listing_id) FROM enrichments WHERE listing_id = ANY(?::text[])) AS enriched,
                (SELECT count(*) FROM listings WHERE id = ANY(?::text[]) AND product_id IS NOT NULL) AS cataloged,
                (SELECT count(DISTINCT product_id) FROM listings WHERE id = ANY(?::text[])) AS products,
                (SELECT count(DISTINCT listing_id) FROM price_suggestions WHERE listing_id = ANY(?::text[]) AND status = 'suggested') AS priced`,
        [listingIds, listingIds, listingIds, listingIds],
      );
      const row = rows.rows[0] as Record<string, unknown>;
      return {
        enriched: Number(row.enriched),
        cataloged: Number(row.cataloged),
        products: Number(row.products),
        priced: Number(row.priced),
      };
    },
    /** For evaluation: each listing's product, title, newest enrichment (in `space`) and price suggestion. */
    async listingsForEvaluation(listingIds: string[], space: string) {
      const rows = await knex.raw(
        `SELECT l.id, l.title, l.product_id, e.category, e.embedding::text AS embedding,
                ps.status AS price_status, ps.price_minor AS suggested_minor, ps.method AS price_method
           FROM listings l
           LEFT JOIN LATERAL (SELECT category, embedding FROM enrichments
                               WHERE listing_id = l.id AND embedding_space = ? ORDER BY updated_at DESC LIMIT 1) e ON true
           LEFT JOIN LATERAL (SELECT status, price_minor, method FROM price_suggestions
                               WHERE listing_id = l.id ORDER BY created_at DESC LIMIT 1) ps ON true
          WHERE l.id = ANY(?::text[])`,
        [space, listingIds],
      );
      return (rows.rows as Record<string, unknown>[]).map((r) => ({
        id: String(r.id),
        title: String(r.title),
        product_id: toNumber(r.product_id),
        category: r.category === null ? null : String(r.category),
        embedding:
          r.embedding === null ? null : Float32Array.from(JSON.parse(String(r.embedding)) as number[]),
        price_status: r.price_status === null ? null : String(r.price_status),
        suggested_minor: toNumber(r.suggested_minor),
        price_method: r.price_method === null ? null : String(r.price_method),
      }));
    },
    async isEmpty(): Promise<boolean> {
      return !(await knex('listings').first('id'));
    },
    ensureIndex: (space: string, dims: number) => ensureVectorIndex(knex, space, dims),
    /** Labelled listing pairs (latest judgement per pair) both enriched in `space`, with their similarities' inputs. */
    async labelledPairs(
      space: string,
    ): Promise<{ image: number; titleA: string; titleB: string; same: boolean }[]> {
      const rows = await knex.raw(
        `WITH judged AS (
           SELECT DISTINCT ON (LEAST(listing_id, payload->>'other_listing_id'), GREATEST(listing_id, payload->>'other_listing_id'))
                  listing_id AS a, payload->>'other_listing_id' AS b, (payload->>'same_product')::boolean AS same
             FROM labels WHERE kind = 'product_match'
            ORDER BY LEAST(listing_id, payload->>'other_listing_id'), GREATEST(listing_id, payload->>'other_listing_id'), created_at DESC, id DESC)
         SELECT j.same, la.title AS title_a, lb.title AS title_b,
                1 - (ea.embedding <=> eb.embedding) AS image
           FROM judged j
           JOIN LATERAL (SELECT embedding FROM enrichments WHERE listing_id = j.a AND embedding_space = ? ORDER BY updated_at DESC LIMIT 1) ea ON true
           JOIN LATERAL (SELECT embedding FROM enrichments WHERE listing_id = j.b AND embedding_space = ? ORDER BY updated_at DESC LIMIT 1) eb ON true
           JOIN listings la ON la.id = j.a JOIN listings lb ON lb.id = j.b
          LIMIT 100000`,
        [space, space],
      );
      return (rows.rows as Record<string, unknown>[]).map((r) => ({
        image: Number(r.image),
        titleA: String(r.title_a),
        titleB: String(r.title_b),
        same: Boolean(r.same),
      }));
    },
    /** Nearest enriched listings outside a transaction (visual search, photo tagging). */
    neighbours: (args: NeighbourQuery) => neighbours(knex, args),
    async storePhotoTags(row: {
      photo_id: string;
      model_version: string;
      page_id: string | null;
      image_ref: string;
      category: string;
      products: { product_id: number; listing_id: string | null; score: number; corrected?: number }[];
      /** Detected objects with their matched products (photos.tagged v3), or none. */
      boxes?: Record<string, unknown>[];
      source_event_id: string;
    }): Promise<void> {
      await knex('photo_tags')
        .insert({ ...row, products: JSON.stringify(row.products), boxes: JSON.stringify(row.boxes ?? []) })
        .onConflict(['photo_id', 'model_version'])
        .merge();
    },
  };
}

export type CatalogRepository = ReturnType<typeof createCatalogRepository>;

interface NeighbourQuery {
  space: string;
  embedding: ArrayLike<number>;
  k: number;
  exclude?: string;
}

async function neighbours(db: Knex | Knex.Transaction, query: NeighbourQuery): Promise<Neighbour[]> {
  const sql = vectorSql(query.space, query.embedding.length);
  const vector = vectorLiteral(query.embedding);
  // A listing enriched by two versions of one space appears once: its newest enrichment. Each
  // neighbour's listing is read by its key (a lateral LIMIT 1: a plain join let the planner hash a
  // seq scan of the whole listings table for 20 rows).
  const rows = await db.raw(
    `SELECT DISTINCT ON (e.listing_id) e.listing_id, l.product_id, ${sql.similarity('e')} AS similarity,
            l.title, l.price_minor, l.currency, l.condition, e.category
       FROM (SELECT * FROM enrichments e WHERE ${sql.where('e')} ${query.exclude ? 'AND e.listing_id <> ?' : ''}
              ORDER BY ${sql.orderBy('e')} LIMIT ?) e
       JOIN LATERAL (SELECT product_id, title, price_minor, currency, condition FROM listings
                      WHERE id = e.listing_id LIMIT 1) l ON true
      ORDER BY e.listing_id, e.updated_at DESC`,
    [vector, ...(query.exclude ? [query.exclude] : []), vector, query.k],
  );
  return (rows.rows as Record<string, unknown>[])
    .map((r) => ({
      listing_id: String(r.listing_id),
      product_id: toNumber(r.product_id),
      similarity: Number(r.similarity),
      title: String(r.title),
      price_minor: toNumber(r.price_minor),
      currency: r.currency === null ? null : String(r.currency).trim(),
      category: String(r.category),
      condition: r.condition === null ? null : String(r.condition),
    }))
    .sort((a, b) => b.similarity - a.similarity);
}

/**
 * Postgres text cannot hold NUL (U+0000): a producer's stray NUL is dropped rather than failing the
 * whole batch (and dead-lettering the listing) on "invalid byte sequence".
 */
export function pgText<T extends string | null>(value: T): T {
  return (value === null ? value : value.replaceAll('\u0000', '')) as T;
}

function catalogTransaction(trx: Knex.Transaction) {
  return {
    trx,
    /** Row locks on products a listing joins or merges (`placement-locks.ts`). */
    lockProducts: (productIds: number[], options: { wait: boolean }) =>
      lockProducts(trx, productIds, options),
    /** The space's placement lock: shared for joins, exclusive for founding products. */
    lockSpace: (space: string, options: { exclusive: boolean; wait: boolean }) =>
      lockSpace(trx, space, options),

    /** What cataloging needs of the batch's listings, each row made sure of (`listing-placement.ts`). */
    ensureListingStates: (listings: Parameters<typeof ensureListingStates>[1]) =>
      ensureListingStates(trx, listings),
    batchMatchLabels: (listingIds: string[]) => batchMatchLabels(trx, listingIds),
    placeListing: (
      enrichment: EnrichmentRecord,
      modelVersion: string,
      placement: Placement,
      prices: PriceSample,
    ) => placeListing(trx, enrichment, modelVersion, placement, prices),
    storePriceSuggestions: (rows: Parameters<typeof storePriceSuggestions>[1]) =>
      storePriceSuggestions(trx, rows),

    /**
     * The batch's listings and their photos as last delivered, in three statements whatever the batch's
     * size: listings upserted, photos upserted, photos beyond each listing's new count removed. A
     * listing delivered twice in one batch is written as its last delivery.
     */
    async writeListings(entries: { listing: ListingRecord; images: ImageRecord[] }[]): Promise<void> {
      const latest = [...new Map(entries.map((e) => [e.listing.id, e])).values()];
      if (latest.length === 0) return;
      await trx('listings')
        .insert(
          latest.map(({ listing }) => ({
            id: listing.id,
            title: pgText(listing.title),
            description: pgText(listing.description),
            price_minor: listing.price?.amount_minor ?? null,
            currency: listing.price?.currency ?? null,
            seller_id: pgText(listing.seller_id),
            marketplace_category: pgText(listing.marketplace_category),
            condition: pgText(listing.condition),
            source_event_id: listing.source_event_id,
            updated_at: trx.fn.now(),
          })),
        )
        .onConflict('id')
        .merge();
      const images = latest.flatMap(({ listing, images }) =>
        images.map((image) => ({
          listing_id: listing.id,
          ...image,
          ref: pgText(image.ref),
          error_message: pgText(image.error_message),
          inline_bytes: image.inline_bytes ? Buffer.from(image.inline_bytes) : null,
        })),
      );
      if (images.length > 0) {
        await trx('listing_images').insert(images).onConflict(['listing_id', 'position']).merge();
      }
      await trx.raw(
        `DELETE FROM listing_images i USING unnest(?::text[], ?::int[]) AS t(id, n)
          WHERE i.listing_id = t.id AND i.position >= t.n`,
        [latest.map((e) => e.listing.id), latest.map((e) => e.images.length)],
      );
    },

    neighbours: (query: NeighbourQuery) => neighbours(trx, query),

    memberSimilarities: (query: MemberQuery) => memberSimilarities(trx, query),

    async conditionOf(listingId: string): Promise<string | null> {
      const row = await trx('listings').where({ id: listingId }).first('condition');
      return row?.condition ?? null;
    },

    async productOfListing(listingId: string): Promise<number | null> {
      const row = await trx('listings').where({ id: listingId }).first('product_id');
      return toNumber(row?.product_id);
    },

    /** Listings of these products, by product. */
    async members(productIds: number[]): Promise<Map<number, string[]>> {
      const out = new Map<number, string[]>(productIds.map((id) => [id, []]));
      if (productIds.length === 0) return out;
      const rows = await trx('listings').whereIn('product_id', productIds).select('id', 'product_id');
      for (const row of rows) out.get(Number(row.product_id))?.push(String(row.id));
      return out;
    },

    /** Merges `others` into `root`: their listings move, and they point at it (never deleted). */
    async merge(root: number, others: number[]): Promise<void> {
      if (others.length === 0) return;
      await trx('listings').whereIn('product_id', others).update({ product_id: root });
      await trx('enrichments').whereIn('product_id', others).update({ product_id: root });
      // Path compression: products merged earlier into a loser now point at the root directly.
      await trx('products')
        .whereIn('id', others)
        .orWhereIn('merged_into', others)
        .update({ merged_into: root, listing_count: 0, updated_at: trx.fn.now() });
    },

    /** Moves one listing into a product of its own (a person said it is not the same product). */
    async split(listingId: string): Promise<number> {
      const latest = await trx('enrichments')
        .where({ listing_id: listingId })
        .orderBy('updated_at', 'desc')
        .first('category', 'model_version');
      const listing = await trx('listings').where({ id: listingId }).first('title');
      const cover = await trx('listing_images')
        .where({ listing_id: listingId, status: 'ok' })
        .orderBy('position')
        .first('id');
      const [row] = await trx('products')
        .insert({
          category: latest?.category ?? null,
          title: listing?.title ?? null,
          representative_image_id: cover?.id ?? null,
          model_version: latest?.model_version ?? null,
        })
        .returning('id');
      const id = Number(row.id);
      await trx('listings').where({ id: listingId }).update({ product_id: id });
      await trx('enrichments').where({ listing_id: listingId }).update({ product_id: id });
      return id;
    },

    async refreshCounts(productIds: number[]): Promise<void> {
      if (productIds.length === 0) return;
      await trx.raw(
        `UPDATE products p SET listing_count = (SELECT count(*) FROM listings l WHERE l.product_id = p.id),
                updated_at = now()
          WHERE p.id = ANY(?::bigint[])`,
        [productIds],
      );
    },

    /** Product-match labels touching these listings; the latest judgement of a pair wins. */
    async matchLabels(listingIds: string[]): Promise<MatchLabel[]> {
      if (listingIds.length === 0) return [];
      const rows = await trx.raw(
        `SELECT DISTINCT ON (LEAST(a, b), GREATEST(a, b)) a, b, same
           FROM (SELECT listing_id AS a, payload->>'other_listing_id' AS b,
                        (payload->>'same_product')::boolean AS same, created_at, id
                   FROM labels
                  WHERE kind = 'product_match'
                    AND (listing_id = ANY(?::text[]) OR payload->>'other_listing_id' = ANY(?::text[]))) t
          ORDER BY LEAST(a, b), GREATEST(a, b), created_at DESC, id DESC`,
        [listingIds, listingIds],
      );
      return (rows.rows as { a: string; b: string; same: boolean }[]).map((r) => ({
        a: r.a,
        b: r.b,
        same: r.same,
      }));
    },

    /**
     * The `limit` priced listings of a product most similar to `embedding` (same space). Bounded: a
     * popular product has thousands of listings, and every comparable is stored with the suggestion
     * and published in prices.suggested (unbounded, a 10-minute soak grew price_suggestions to 300 MB).
     */
    async productPrices(
      productId: number,
      space: string,
      embedding: number[],
      exclude: string,
      limit: number,
      sample: number,
    ): Promise<Neighbour[]> {
      const rows = await trx.raw(productPricesSql(space, embedding.length), [
        [productId],
        exclude,
        sample,
        vectorLiteral(embedding),
        limit,
      ]);
      return (rows.rows as Record<string, unknown>[]).map((r) => priceRow(r, productId));
    },

    /**
     * How condition moves prices in this catalogue: per condition, the median ratio of a listing's
     * price to its product's median price (products with 2+ priced listings; the newest 20,000).
     */
    async conditionRatios(): Promise<Map<string, { ratio: number; listings: number }>> {
      const rows = await trx.raw(
        `WITH priced AS (SELECT id, product_id, condition, price_minor, currency FROM listings
                          WHERE price_minor > 0 AND product_id IS NOT NULL AND condition IS NOT NULL
                          ORDER BY updated_at DESC LIMIT 20000),
              products AS (SELECT product_id, currency, percentile_cont(0.5) WITHIN GROUP (ORDER BY price_minor) AS median
                             FROM priced GROUP BY product_id, currency HAVING count(*) >= 2)
         SELECT p.condition, percentile_cont(0.5) WITHIN GROUP (ORDER BY p.price_minor / m.median) AS ratio, count(*) AS n
           FROM priced p JOIN products m USING (product_id, currency)
          GROUP BY p.condition`,
      );
      return new Map(
        (rows.rows as { condition: string; ratio: number; n: string }[]).map((r) => [
          r.condition,
          { ratio: Number(r.ratio), listings: Number(r.n) },
        ]),
      );
    },

    /**
     * Asking prices in one currency of the listings most recently enriched in a category (at most
     * 2,000): read in order by the (category, updated_at) index, each listing by its key (the
     * lateral LIMIT 1 keeps the planner from hashing the whole listings table instead).
     */
    async categoryPrices(
      space: string,
      category: string,
      currency: string,
      exclude: string,
    ): Promise<{ listing_id: string; amount_minor: number; condition: string | null }[]> {
      const { rows } = await trx.raw(
        `SELECT l.id, l.price_minor, l.condition
           FROM (SELECT DISTINCT listing_id FROM (
                   SELECT listing_id FROM enrichments WHERE category = ? AND embedding_space = ?
                    ORDER BY updated_at DESC LIMIT 4000) n) e
           JOIN LATERAL (SELECT id, price_minor, condition FROM listings
                          WHERE id = e.listing_id AND currency = ? AND price_minor IS NOT NULL AND id <> ?
                          LIMIT 1) l ON true
          LIMIT 2000`,
        [category, space, currency, exclude],
      );
      return (rows as Record<string, unknown>[]).map((r) => ({
        listing_id: String(r.id),
        amount_minor: Number(r.price_minor),
        condition: r.condition === null ? null : String(r.condition),
      }));
    },
  };
}

export type CatalogTransaction = ReturnType<typeof catalogTransaction>;
