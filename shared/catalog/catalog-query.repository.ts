import type { Knex } from 'knex';
import { vectorLiteral, vectorSql } from './vector-index.ts';

export interface ListingFilters {
  category?: string | undefined;
  /** `label` or `group:label`; every one must be predicted. */
  attributes?: string[] | undefined;
  /** Words of the title (case-insensitive substring). */
  q?: string | undefined;
  productId?: number | undefined;
  minPriceMinor?: number | undefined;
  maxPriceMinor?: number | undefined;
}

const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const str = (value: unknown) => (value === null || value === undefined ? null : String(value).trim());
const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

// The newest enrichment of each listing (any model version): what the listing looks like now.
const LATEST_ENRICHMENT = `LEFT JOIN LATERAL (
    SELECT model_version, category, category_confidence, category_known, attributes, queries, updated_at
      FROM enrichments WHERE listing_id = l.id ORDER BY updated_at DESC LIMIT 1) e ON true`;
const COVER = `LEFT JOIN LATERAL (
    SELECT position FROM listing_images WHERE listing_id = l.id AND status = 'ok'
      AND (ref_kind <> 'inline' OR inline_bytes IS NOT NULL) ORDER BY position LIMIT 1) c ON true`;

// What listingSummary reads, over listings `l`, the latest enrichment `e` and the cover `c`.
const SUMMARY_COLUMNS = `l.id, l.title, l.price_minor, l.currency, l.condition, l.product_id, l.received_at,
  e.model_version, e.category, e.category_confidence, e.category_known, e.attributes, c.position AS cover_position`;

/** SQL conditions (with bindings) for the filters, over listings `l` and the latest enrichment `e`. */
function filterSql(filters: ListingFilters): { sql: string; bindings: (string | number)[] } {
  const parts: string[] = [];
  const bindings: (string | number)[] = [];
  if (filters.category) {
    // A listing whose photos the model declared unknown has a guess, not a category.
    parts.push('e.category = ? AND e.category_known');
    bindings.push(filters.category);
  }
  for (const attribute of filters.attributes ?? []) {
    const [group, label] = attribute.includes(':') ? attribute.split(':', 2) : [null, attribute];
    // `group:label` looks in that group only, `label` in any group.
    parts.push(
      `jsonb_path_exists(${group ? 'e.attributes -> ?::text' : 'e.attributes'}, ` +
        // \\? is a literal question mark for knex, not a binding.
        `'${group ? '$' : '$.*'}[*] \\? (@.label == $l)', jsonb_build_object('l', ?::text))`,
    );
    bindings.push(...(group ? [group] : []), label);
  }
  if (filters.q) {
    parts.push(`l.title ILIKE ? ESCAPE '\\'`);
    bindings.push(`%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (filters.productId !== undefined) {
    parts.push('l.product_id = ?');
    bindings.push(filters.productId);
  }
  if (filters.minPriceMinor !== undefined) {
    parts.push('l.price_minor >= ?');
    bindings.push(filters.minPriceMinor);
  }
  if (filters.maxPriceMinor !== undefined) {
    parts.push('l.price_minor <= ?');
    bindings.push(filters.maxPriceMinor);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', bindings };
}

function listingSummary(r: Record<string, unknown>) {
  return {
    id: String(r.id),
    title: String(r.title),
    price: r.price_minor === null ? null : { amount_minor: Number(r.price_minor), currency: str(r.currency) },
    condition: str(r.condition),
    product_id: num(r.product_id),
    category: str(r.category),
    category_confidence: num(r.category_confidence),
    /** False: the model said it does not know this kind of photo; category is its closest guess. */
    category_known:
      r.category_known === null || r.category_known === undefined ? null : Boolean(r.category_known),
    attributes: json<Record<string, { label: string; p: number }[]> | null>(r.attributes) ?? {},
    model_version: str(r.model_version),
    cover_position: num(r.cover_position),
    received_at: new Date(r.received_at as string).toISOString(),
  };
}

export type ListingSummary = ReturnType<typeof listingSummary>;

/**
 * The catalogue as its readers see it (API, console): listings with their newest enrichment,
 * products, price suggestions, visual neighbours with filters. Reads only.
 */
export function createCatalogQueries(knex: Knex) {
  const selectListings = (extraColumns = '') =>
    `SELECT ${SUMMARY_COLUMNS} ${extraColumns} FROM listings l ${LATEST_ENRICHMENT} ${COVER}`;
  return {
    async listListings(filters: ListingFilters, page: number, pageSize: number) {
      const where = filterSql(filters);
      const rows = await knex.raw(
        `${selectListings()} ${where.sql} ORDER BY l.received_at DESC, l.id LIMIT ? OFFSET ?`,
        [...where.bindings, pageSize, (page - 1) * pageSize],
      );
      const count = await knex.raw(
        `SELECT count(*) AS total FROM listings l ${LATEST_ENRICHMENT} ${where.sql}`,
        where.bindings,
      );
      return {
        items: (rows.rows as Record<string, unknown>[]).map(listingSummary),
        total: Number((count.rows[0] as { total: unknown }).total),
      };
    },

    async getListing(id: string) {
      // The summary's columns plus the detail's, from the same latest enrichment.
      const rows = await knex.raw(
        `${selectListings(
          ', l.description, l.seller_id, l.marketplace_category, e.queries, e.updated_at AS enriched_at',
        )} WHERE l.id = ?`,
        [id],
      );
      const row = rows.rows[0] as Record<string, unknown> | undefined;
      if (!row) return null;
      const images = await knex('listing_images')
        .where({ listing_id: id })
        .orderBy('position')
        .select('position', 'ref_kind', 'status', 'width', 'height', 'error_code', 'error_message')
        .select(knex.raw("ref_kind <> 'inline' OR inline_bytes IS NOT NULL AS kept"));
      return {
        ...listingSummary(row),
        description: String(row.description ?? ''),
        seller_id: str(row.seller_id),
        marketplace_category: str(row.marketplace_category),
        queries: json<{ query: string; p: number }[] | null>(row.queries) ?? [],
        enriched_at: row.enriched_at ? new Date(row.enriched_at as string).toISOString() : null,
        images: images.map((image) => ({
          position: Number(image.position),
          kind: String(image.ref_kind),
          status: String(image.status),
          width: num(image.width),
          height: num(image.height),
          kept: image.status === 'ok' && Boolean(image.kept),
          error: image.error_code
            ? { code: String(image.error_code), message: str(image.error_message) }
            : null,
        })),
      };
    },

    /** One photo of a listing for the image route: its reference, or the bytes of an inline one. */
    async photo(listingId: string, position: number) {
      const row = await knex('listing_images')
        .where({ listing_id: listingId, position })
        .first('ref_kind', 'ref', 'status', 'error_code', 'error_message', 'inline_bytes');
      if (!row) return null;
      return {
        kind: String(row.ref_kind) as 'url' | 'file' | 'inline',
        ref: String(row.ref),
        status: String(row.status),
        error: row.error_code ? `${row.error_code}: ${str(row.error_message) ?? ''}` : null,
        inlineBytes: row.inline_bytes ? Buffer.from(row.inline_bytes as Uint8Array) : null,
      };
    },

    /** A tagged page photo as the newest model version tagged it: candidates and detected boxes. */
    async pagePhoto(photoId: string) {
      const row = await knex('photo_tags').where({ photo_id: photoId }).orderBy('created_at', 'desc').first();
      if (!row) return null;
      return {
        photo_id: String(row.photo_id),
        page_id: str(row.page_id),
        model_version: String(row.model_version),
        image_ref: String(row.image_ref),
        category: String(row.category),
        products: row.products as {
          product_id: number;
          listing_id: string | null;
          score: number;
          corrected?: number;
        }[],
        boxes: (row.boxes ?? []) as Record<string, unknown>[],
        tagged_at: new Date(row.created_at as string).toISOString(),
      };
    },

    async listingExists(id: string): Promise<boolean> {
      return Boolean(await knex('listings').where({ id }).first('id'));
    },

    /** The product, following merges to the surviving one, with its listings. */
    async getProduct(id: number) {
      let product = await knex('products').where({ id }).first();
      for (let hops = 0; product?.merged_into && hops < 32; hops++) {
        product = await knex('products').where({ id: product.merged_into }).first();
      }
      if (!product) return null;
      const listings = await this.listListings({ productId: Number(product.id) }, 1, 500);
      return {
        id: Number(product.id),
        requested_id: id,
        category: str(product.category),
        title: str(product.title),
        listing_count: listings.total,
        model_version: str(product.model_version),
        created_at: new Date(product.created_at).toISOString(),
        updated_at: new Date(product.updated_at).toISOString(),
        listings: listings.items,
      };
    },

    /** The newest price suggestion of a listing, its comparables named. */
    async getPrice(listingId: string) {
      const row = await knex('price_suggestions')
        .where({ listing_id: listingId })
        .orderBy('created_at', 'desc')
        .first();
      if (!row) return null;
      const comparables = json<{ listing_id: string; similarity?: number; price_minor?: number }[]>(
        row.comparables,
      );
      const titles = new Map<string, string>(
        (
          await knex('listings')
            .whereIn(
              'id',
              comparables.map((c) => c.listing_id),
            )
            .select('id', 'title')
        ).map((r) => [String(r.id), String(r.title)]),
      );
      return {
        listing_id: listingId,
        status: String(row.status),
        price_minor: num(row.price_minor),
        low_minor: num(row.low_minor),
        high_minor: num(row.high_minor),
        currency: str(row.currency),
        confidence: num(row.confidence),
        method: String(row.method),
        reason: str(row.reason),
        model_version: String(row.model_version),
        created_at: new Date(row.created_at).toISOString(),
        comparables: comparables.map((c) => ({ ...c, title: titles.get(c.listing_id) ?? null })),
      };
    },

    /** The embedding of a listing's newest enrichment, with its model version. */
    async embeddingOf(listingId: string): Promise<{ embedding: number[]; model_version: string } | null> {
      const row = await knex('enrichments')
        .where({ listing_id: listingId })
        .orderBy('updated_at', 'desc')
        .first(knex.raw('embedding::text AS embedding'), 'model_version');
      return row
        ? { embedding: JSON.parse(row.embedding) as number[], model_version: row.model_version }
        : null;
    },

    /**
     * Listings nearest an embedding in one space (pgvector HNSW), filtered. The index answers the
     * nearest `candidates` first and the filters apply to those, so a narrow filter may return
     * fewer than k: raise `candidates` for it.
     */
    async similar(args: {
      space: string;
      embedding: ArrayLike<number>;
      k: number;
      candidates: number;
      filters: ListingFilters;
      exclude?: string | undefined;
    }): Promise<(ListingSummary & { score: number })[]> {
      const sql = vectorSql(args.space, args.embedding.length);
      const vector = vectorLiteral(args.embedding);
      const where = filterSql(args.filters);
      const rows = await knex.raw(
        `WITH near AS (
           SELECT DISTINCT ON (listing_id) listing_id, similarity FROM (
             SELECT listing_id, updated_at, ${sql.similarity('n')} AS similarity FROM enrichments n
              WHERE ${sql.where('n')} ORDER BY ${sql.orderBy('n')} LIMIT ?) x
           ORDER BY listing_id, updated_at DESC)
         SELECT ${SUMMARY_COLUMNS}, near.similarity
           FROM near JOIN listings l ON l.id = near.listing_id ${LATEST_ENRICHMENT} ${COVER}
           ${where.sql ? `${where.sql}${args.exclude ? ' AND l.id <> ?' : ''}` : args.exclude ? 'WHERE l.id <> ?' : ''}`,
        [vector, vector, args.candidates, ...where.bindings, ...(args.exclude ? [args.exclude] : [])],
      );
      return (rows.rows as Record<string, unknown>[])
        .map((r) => ({ ...listingSummary(r), score: Number(r.similarity) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, args.k);
    },
  };
}

export type CatalogQueries = ReturnType<typeof createCatalogQueries>;
