import type { Knex } from 'knex';
import { vectorLiteral, vectorSql } from './vector-index.ts';

export interface MemberQuery {
  space: string;
  embedding: ArrayLike<number>;
  productIds: number[];
  /** The listing being placed (never its own member). */
  exclude: string;
  /** At most this many members per product, the most recently enriched. */
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
  const products = query.productIds.map(() => '?').join(', ');
  const rows = await db.raw(
    `SELECT product_id, listing_id, title, similarity FROM (
       SELECT l.product_id, l.id AS listing_id, l.title, ${sql.similarity('e')} AS similarity,
              row_number() OVER (PARTITION BY l.product_id ORDER BY e.updated_at DESC, l.id) AS rank
         FROM listings l
         JOIN LATERAL (SELECT e.embedding, e.updated_at FROM enrichments e
                        WHERE e.listing_id = l.id AND ${sql.where('e')}
                        ORDER BY e.updated_at DESC LIMIT 1) e ON true
        WHERE l.product_id IN (${products}) AND l.id <> ?) m
      WHERE rank <= ?`,
    [vectorLiteral(query.embedding), ...query.productIds, query.exclude, query.limit],
  );
  return (rows.rows as Record<string, unknown>[]).map((r) => ({
    product_id: Number(r.product_id),
    listing_id: String(r.listing_id),
    title: String(r.title),
    similarity: Number(r.similarity),
  }));
}
