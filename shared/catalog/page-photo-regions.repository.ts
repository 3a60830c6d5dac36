import type { Knex } from 'knex';
import { vectorLiteral, vectorSql } from './vector-index.ts';

export interface HubQuery {
  space: string;
  dims: number;
  listingIds: readonly string[];
  /** The photo being tagged: its own earlier regions (a replay) are not its pool. */
  photoId: string;
  /** The most recent regions of the space to measure against. */
  pool: number;
  k: number;
}

/**
 * The crops of recently tagged page photos (table page_photo_regions): the pool of the hubness
 * correction (hubness.ts). One statement per photo each way.
 */
export function createPagePhotoRegionRepository(knex: Knex) {
  return {
    /**
     * Each listing's hub score in the space: the mean of its newest embedding's k highest cosine
     * similarities to the pool. Empty while the pool holds fewer than k regions.
     */
    async hubScores(query: HubQuery): Promise<Map<string, number>> {
      const scores = new Map<string, number>();
      if (query.listingIds.length === 0 || query.pool < query.k || query.k < 1) return scores;
      const sql = vectorSql(query.space, query.dims);
      const ids = query.listingIds.map(() => '?').join(', ');
      const rows = await knex.raw(
        `WITH pool AS MATERIALIZED (
           SELECT r.${sql.cast} AS v FROM page_photo_regions r
            WHERE ${sql.where('r')} AND r.photo_id <> ? ORDER BY r.id DESC LIMIT ?),
         listing AS (
           SELECT DISTINCT ON (e.listing_id) e.listing_id, e.${sql.cast} AS v FROM enrichments e
            WHERE ${sql.where('e')} AND e.listing_id IN (${ids}) ORDER BY e.listing_id, e.updated_at DESC)
         SELECT l.listing_id, (SELECT count(*) FROM pool) AS pool_size,
                (SELECT avg(t.s) FROM (SELECT 1 - (p.v <=> l.v) AS s FROM pool p ORDER BY 1 DESC LIMIT ?) t) AS hub
           FROM listing l`,
        [query.photoId, query.pool, ...query.listingIds, query.k],
      );
      for (const r of rows.rows as Record<string, unknown>[]) {
        if (Number(r.pool_size) < query.k) return new Map();
        scores.set(String(r.listing_id), Number(r.hub));
      }
      return scores;
    },

    /** Adds a photo's regions (idempotent per photo) and keeps the newest `keep` of the space. */
    async remember(row: {
      space: string;
      photoId: string;
      embeddings: readonly ArrayLike<number>[];
      keep: number;
    }) {
      if (row.embeddings.length === 0 || row.keep < 1) return;
      vectorSql(row.space, row.embeddings[0]?.length ?? 0);
      await knex('page_photo_regions')
        .insert(
          row.embeddings.map((embedding, region) => ({
            embedding_space: row.space,
            photo_id: row.photoId,
            region,
            embedding: vectorLiteral(embedding),
          })),
        )
        .onConflict(['embedding_space', 'photo_id', 'region'])
        .ignore();
      await knex.raw(
        `DELETE FROM page_photo_regions WHERE embedding_space = ? AND id <= (
           SELECT id FROM page_photo_regions WHERE embedding_space = ? ORDER BY id DESC OFFSET ? LIMIT 1)`,
        [row.space, row.space, row.keep],
      );
    },
  };
}

export type PagePhotoRegionRepository = ReturnType<typeof createPagePhotoRegionRepository>;
