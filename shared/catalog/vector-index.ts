import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { GrokcatError } from '../errors/error-catalogue.ts';

/**
 * pgvector HNSW indexes per embedding space. The `embedding` column has no fixed dimension (each
 * model has its own D), so each space gets a partial index over `embedding::vector(D)`; a query
 * uses the same expression and predicate, so the planner can pick that index. The space is
 * inlined as a literal (checked to be a plain name) because a partial index's predicate must be
 * provable at plan time.
 */
export function vectorSql(space: string, dims: number) {
  if (!/^[A-Za-z0-9._:@+-]{1,200}$/.test(space)) {
    throw new GrokcatError('MODEL_INVALID', `embedding space "${space}" is not a plain name`);
  }
  if (!Number.isInteger(dims) || dims < 1 || dims > 2000) {
    throw new GrokcatError('MODEL_INVALID', `embedding dimension ${dims} is not between 1 and 2000`);
  }
  const cast = `embedding::vector(${dims})`;
  return {
    /** `<alias>.embedding_space = '<space>'`, for the enrichments table. */
    where: (alias?: string) => `${alias ? `${alias}.` : ''}embedding_space = '${space}'`,
    /** Cosine similarity of the row's embedding and the bound parameter. */
    similarity: (alias: string) => `1 - (${alias}.${cast} <=> ?::vector(${dims}))`,
    orderBy: (alias: string) => `${alias}.${cast} <=> ?::vector(${dims})`,
    indexName: `enrichments_hnsw_${createHash('sha256').update(space).digest('hex').slice(0, 16)}`,
    cast,
  };
}

/** pgvector's text form of a vector. */
export const vectorLiteral = (embedding: ArrayLike<number>) => `[${Array.from(embedding).join(',')}]`;

// Per database handle: the index names already made sure of.
const ensured = new WeakMap<Knex, Set<string>>();

/** Creates the space's HNSW index once (m 16, ef_construction 64: pgvector's defaults). */
export async function ensureVectorIndex(knex: Knex, space: string, dims: number): Promise<void> {
  const sql = vectorSql(space, dims);
  const done = ensured.get(knex) ?? new Set<string>();
  ensured.set(knex, done);
  if (done.has(sql.indexName)) return;
  try {
    await knex.raw(
      `CREATE INDEX IF NOT EXISTS ${sql.indexName} ON enrichments USING hnsw ((${sql.cast}) vector_cosine_ops) WHERE ${sql.where()}`,
    );
  } catch (error) {
    // Another process created it between our check and our create.
    if ((error as { code?: string }).code !== '42P07' && (error as { code?: string }).code !== '23505')
      throw error;
  }
  done.add(sql.indexName);
}
