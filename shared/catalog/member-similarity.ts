import type { Knex } from 'knex';
import { vectorLiteral, vectorSql } from './vector-index.ts';

export interface MemberQuery {
  space: string;
  embedding: ArrayLike<number>;
  productIds: number[];
  /** The listing being placed (never its own member). */
  exclude: string;
  /** At most this many members per product, the most recently updated (enriched) listings. */
  limit: number;
}

export interface ProductMember {
  product_id: number;
  listing_id: string;
  title: string;
  /** Cosine similarity of the member's newest embedding in the space and the query embedding. */
  similarity: number;
}

/**
 * The listings of some products with their image similarity to one embedding: what the cataloger
 * needs to ask whether a listing agrees with a product as a whole (average linkage), not only with
 * the one neighbour that found the product. Members not enriched in the space are left out.
 */
export async function memberSimilarities(
  db: Knex | Knex.Transaction,
  query: MemberQuery,
): Promise<ProductMember[]> {
  if (query.productIds.length === 0) return [];
  const sql = vectorSql(query.space, query.embedding.length);
  // Per product, its most recently updated listings by the (product_id, updated_at) index, then each
  // one's newest enrichment in the space: a popular product costs no more than a small one.
  const rows = await db.raw(
    `SELECT m.product_id, m.id AS listing_id, m.title, e.similarity
       FROM unnest(?::bigint[]) AS p(id)
       CROSS JOIN LATERAL (SELECT l.id, l.product_id, l.title FROM listings l
                            WHERE l.product_id = p.id AND l.id <> ?
                            ORDER BY l.updated_at DESC LIMIT ?) m
       JOIN LATERAL (SELECT ${sql.similarity('e')} AS similarity FROM enrichments e
                      WHERE e.listing_id = m.id AND ${sql.where('e')}
                      ORDER BY e.updated_at DESC LIMIT 1) e ON true`,
    [query.productIds, query.exclude, query.limit, vectorLiteral(query.embedding)],
  );
  return (rows.rows as Record<string, unknown>[]).map((r) => ({
    product_id: Number(r.product_id),
    listing_id: String(r.listing_id),
    title: String(r.title),
    similarity: Number(r.similarity),
  }));
}
