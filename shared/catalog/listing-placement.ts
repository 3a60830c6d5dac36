import type { Knex } from 'knex';
import type { EnrichmentRecord, MatchLabel, Neighbour } from './catalog.repository.ts';
import { vectorLiteral, vectorSql } from './vector-index.ts';

/**
 * The cataloger's statements, shaped so that a listing costs a fixed, small number of them whatever
 * the catalogue's size (issue 21): what a batch needs to know is read once per batch, a listing's
 * enrichment is written once with its product (never inserted then updated, which put every embedding
 * into the HNSW index twice), product counts are kept incrementally, and price comparables are
 * bounded samples read by index.
 */

export interface ListingState {
  productId: number | null;
  condition: string | null;
  coverImageId: number | null;
}

// Data-modifying CTEs run to completion whether or not the main query reads them (PostgreSQL docs,
// "Data-Modifying Statements in WITH"), and all parts of the statement see one snapshot.
const toNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));
/** Postgres text cannot hold NUL (U+0000). */
const clean = (value: string) => value.replaceAll('\u0000', '');

/**
 * Makes sure each listing row exists (the enricher normally wrote it; never overwritten here) and
 * reads what cataloging needs of it: its product, condition and cover photo. One statement.
 */
export async function ensureListingStates(
  trx: Knex.Transaction,
  listings: {
    id: string;
    title: string;
    price: { amount_minor: number; currency: string } | null;
    source_event_id: string;
  }[],
): Promise<Map<string, ListingState>> {
  const unique = [...new Map(listings.map((l) => [l.id, l])).values()];
  if (unique.length === 0) return new Map();
  const { rows } = await trx.raw(
    `WITH input AS (
       SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[])
                  AS t(id, title, price_minor, currency, source_event_id)),
     inserted AS (
       INSERT INTO listings (id, title, price_minor, currency, source_event_id)
       SELECT id, title, price_minor, currency, source_event_id FROM input
       ON CONFLICT (id) DO NOTHING RETURNING id)
     SELECT l.id, l.product_id, l.condition,
            (SELECT i.id FROM listing_images i WHERE i.listing_id = l.id AND i.status = 'ok'
              ORDER BY i.position LIMIT 1) AS cover
       FROM listings l WHERE l.id IN (SELECT id FROM input)
     UNION ALL
     SELECT id, NULL, NULL, NULL FROM inserted`,
    <Knex.Value[]>[
      unique.map((l) => l.id),
      unique.map((l) => clean(l.title)),
      unique.map((l) => l.price?.amount_minor ?? null),
      unique.map((l) => l.price?.currency ?? null),
      unique.map((l) => l.source_event_id),
    ],
  );
  return new Map(
    (rows as Record<string, unknown>[]).map((r) => [
      String(r.id),
      {
        productId: toNumber(r.product_id),
        condition: r.condition === null ? null : String(r.condition),
        coverImageId: toNumber(r.cover),
      },
    ]),
  );
}

/**
 * Product-match labels touching these listings (latest judgement per pair) and whether the catalogue
 * has any at all: without any, the cataloger skips every label check. One statement.
 */
export async function batchMatchLabels(
  trx: Knex.Transaction,
  listingIds: string[],
): Promise<{ any: boolean; labels: MatchLabel[] }> {
  const { rows } = await trx.raw(
    `SELECT EXISTS (SELECT 1 FROM labels WHERE kind = 'product_match') AS any,
            coalesce((SELECT json_agg(json_build_object('a', a, 'b', b, 'same', same)) FROM (
              SELECT DISTINCT ON (LEAST(a, b), GREATEST(a, b)) a, b, same
                FROM (SELECT listing_id AS a, payload->>'other_listing_id' AS b,
                             (payload->>'same_product')::boolean AS same, created_at, id
                        FROM labels
                       WHERE kind = 'product_match'
                         AND (listing_id = ANY(?::text[]) OR payload->>'other_listing_id' = ANY(?::text[]))) t
               ORDER BY LEAST(a, b), GREATEST(a, b), created_at DESC, id DESC) j), '[]'::json) AS labels`,
    [listingIds, listingIds],
  );
  const row = (rows as { any: boolean; labels: MatchLabel[] | string }[])[0];
  const labels =
    typeof row?.labels === 'string' ? (JSON.parse(row.labels) as MatchLabel[]) : (row?.labels ?? []);
  return { any: Boolean(row?.any), labels };
}

export type Placement =
  | { kind: 'new'; category: string; title: string; representativeImageId: number | null }
  | { kind: 'join'; root: number; merged: number[] };

export interface PriceSample {
  space: string;
  embedding: ArrayLike<number>;
  /** The product's most recently updated priced listings considered... */
  sample: number;
  /** ...of which the most similar are returned. */
  limit: number;
}

const ENRICHMENT_COLUMNS = [
  'listing_id',
  'model_version',
  'embedding_space',
  'category',
  'category_confidence',
  'category_known',
  'attributes',
  'queries',
  'embedding',
  'source_event_id',
  'product_id',
] as const;
const enrichmentValues = `?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::vector, ?`;
const enrichmentUpsert = `ON CONFLICT (listing_id, model_version) DO UPDATE SET ${ENRICHMENT_COLUMNS.filter(
  (c) => c !== 'listing_id' && c !== 'model_version',
)
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}, updated_at = excluded.updated_at`;

const enrichmentParams = (r: EnrichmentRecord) => [
  r.listing_id,
  r.model_version,
  r.embedding_space,
  r.category,
  r.category_confidence,
  r.category_known,
  JSON.stringify(r.attributes),
  JSON.stringify(r.queries),
  vectorLiteral(r.embedding),
  r.source_event_id,
];

/**
 * Writes a listing's enrichment together with its product in one statement: a new product (counted
 * 1), or the listing joins `root`, which absorbs `merged` (their listings and enrichments move, they
 * point at it, its count grows by the listings that moved). For a join it also returns the priced
 * listings of the product as it is now (root and merged read from the statement's snapshot, which is
 * the merged membership), each with its newest enrichment in the space: a bounded sample read by
 * index, never a scan of the catalogue.
 */
export async function placeListing(
  trx: Knex.Transaction,
  enrichment: EnrichmentRecord,
  modelVersion: string,
  placement: Placement,
  prices: PriceSample,
): Promise<{ productId: number; prices: Neighbour[] }> {
  const columns = ENRICHMENT_COLUMNS.join(', ');
  if (placement.kind === 'new') {
    const { rows } = await trx.raw(
      `WITH p AS (
         INSERT INTO products (category, title, representative_image_id, model_version, listing_count)
         VALUES (?, ?, ?, ?, 1) RETURNING id),
       l AS (UPDATE listings SET product_id = (SELECT id FROM p) WHERE id = ? RETURNING id),
       e AS (INSERT INTO enrichments (${columns}, updated_at)
             SELECT ${enrichmentValues}, p.id, now() FROM p ${enrichmentUpsert} RETURNING id)
       SELECT id FROM p`,
      [
        placement.category,
        clean(placement.title),
        placement.representativeImageId,
        modelVersion,
        enrichment.listing_id,
        ...enrichmentParams(enrichment),
      ],
    );
    return { productId: Number((rows as { id: string }[])[0]?.id), prices: [] };
  }
  const { root, merged } = placement;
  const { rows } = await trx.raw(
    `WITH moved AS (
       UPDATE listings l SET product_id = ?
         FROM (SELECT id, product_id AS old FROM listings WHERE id = ? OR product_id = ANY(?::bigint[])) o
        WHERE l.id = o.id AND o.old IS DISTINCT FROM ?
       RETURNING l.id),
     e AS (INSERT INTO enrichments (${columns}, updated_at) VALUES (${enrichmentValues}, ?, now())
           ${enrichmentUpsert} RETURNING id),
     em AS (UPDATE enrichments SET product_id = ? WHERE product_id = ANY(?::bigint[]) RETURNING id),
     losers AS (UPDATE products SET merged_into = ?, listing_count = 0, updated_at = now()
                 WHERE id = ANY(?::bigint[]) OR merged_into = ANY(?::bigint[]) RETURNING id),
     winner AS (UPDATE products SET listing_count = listing_count + (SELECT count(*) FROM moved), updated_at = now()
                 WHERE id = ? RETURNING id)
     ${productPricesSql(prices.space, prices.embedding.length)}`,
    [
      root,
      enrichment.listing_id,
      merged,
      root,
      ...enrichmentParams(enrichment),
      root,
      root,
      merged,
      root,
      merged,
      merged,
      root,
      [root, ...merged],
      enrichment.listing_id,
      prices.sample,
      vectorLiteral(prices.embedding),
      prices.limit,
    ],
  );
  return {
    productId: root,
    prices: (rows as Record<string, unknown>[]).map((r) => priceRow(r, root)),
  };
}

/**
 * The priced listings of some products most similar to an embedding: the products' newest priced
 * listings (a bounded sample, by the (product_id, updated_at) index), each with its newest enrichment
 * in the space (by the listing's key), the most similar first. Parameters, in order: the product ids,
 * the listing left out, the sample size, the embedding, the limit.
 */
export function productPricesSql(space: string, dims: number): string {
  const sql = vectorSql(space, dims);
  return `SELECT c.id AS listing_id, c.title, c.price_minor, c.currency, c.condition, e.category, e.similarity
       FROM (SELECT id, title, price_minor, currency, condition FROM listings
              WHERE product_id = ANY(?::bigint[]) AND price_minor IS NOT NULL AND id <> ?
              ORDER BY updated_at DESC LIMIT ?) c
       JOIN LATERAL (SELECT e.category, ${sql.similarity('e')} AS similarity FROM enrichments e
                      WHERE e.listing_id = c.id AND ${sql.where('e')}
                      ORDER BY e.updated_at DESC LIMIT 1) e ON true
      ORDER BY similarity DESC, listing_id
      LIMIT ?`;
}

/** A row of `productPricesSql` as a comparable of `productId`. */
export function priceRow(r: Record<string, unknown>, productId: number): Neighbour {
  return {
    listing_id: String(r.listing_id),
    product_id: productId,
    similarity: Number(r.similarity),
    title: String(r.title),
    price_minor: toNumber(r.price_minor),
    currency: String(r.currency).trim(),
    category: String(r.category),
    condition: r.condition === null ? null : String(r.condition),
  };
}

/** The batch's price suggestions in one statement (the last per listing and model version). */
export async function storePriceSuggestions(
  trx: Knex.Transaction,
  rows: {
    listing_id: string;
    model_version: string;
    status: 'suggested' | 'insufficient_data';
    price_minor: number | null;
    low_minor: number | null;
    high_minor: number | null;
    currency: string | null;
    confidence: number | null;
    method: string;
    comparables: unknown[];
    reason: string | null;
  }[],
): Promise<void> {
  const unique = [...new Map(rows.map((r) => [`${r.listing_id}\u0000${r.model_version}`, r])).values()];
  if (unique.length === 0) return;
  await trx('price_suggestions')
    .insert(unique.map((r) => ({ ...r, comparables: JSON.stringify(r.comparables) })))
    .onConflict(['listing_id', 'model_version'])
    .merge();
}
