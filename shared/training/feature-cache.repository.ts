import type { Knex } from 'knex';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { decodeFloat16, encodeFloat16 } from './float16.ts';

export interface CachedFeature {
  imageSha256: string;
  features: Float32Array;
}

/**
 * Trunk features cached per image and extractor (`image_features`), half precision. Writes are
 * idempotent: a feature already cached for an image and extractor is kept.
 */
export function createFeatureCacheRepository(knex: Knex, extractor: string) {
  return {
    async put(rows: CachedFeature[], trx: Knex | Knex.Transaction = knex): Promise<void> {
      if (rows.length === 0) return;
      await trx('image_features')
        .insert(
          rows.map((row) => ({
            image_sha256: row.imageSha256,
            extractor,
            dims: row.features.length,
            encoding: 'f16',
            features: encodeFloat16(row.features),
          })),
        )
        .onConflict(['image_sha256', 'extractor'])
        .ignore();
    },

    /** The cached features of these images (absent ones are missing from the map). */
    async getMany(imageSha256s: string[]): Promise<Map<string, Float32Array>> {
      const found = new Map<string, Float32Array>();
      for (let start = 0; start < imageSha256s.length; start += 1000) {
        const rows = await knex('image_features')
          .where({ extractor })
          .whereIn('image_sha256', imageSha256s.slice(start, start + 1000))
          .select<{ image_sha256: string; dims: number; features: Buffer }[]>(
            'image_sha256',
            'dims',
            'features',
          );
        for (const row of rows) {
          const features = decodeFloat16(row.features);
          if (features.length !== row.dims) {
            throw new GrokcatError(
              'DB_QUERY_FAILED',
              `cached features of ${row.image_sha256} have ${features.length} values, not ${row.dims}`,
            );
          }
          found.set(row.image_sha256, features);
        }
      }
      return found;
    },

    async count(): Promise<number> {
      const row = await knex('image_features').where({ extractor }).count({ n: '*' }).first();
      return Number(row?.n ?? 0);
    },
  };
}
