import { vectorLiteral } from '../../../shared/catalog/vector-index.ts';
import type { Knex } from '../../../shared/db/open-database.ts';
import { binaryCode } from '../../../shared/model/postprocess.ts';

export interface SearchMethodResult {
  method: string;
  /** Share of the exact top 10 found, averaged over the queries. */
  recall_at_10: number;
  mean_ms: number;
  p95_ms: number;
}

export interface VectorScaleResult {
  embeddings: number;
  dims: number;
  queries: number;
  insert_s: number;
  hnsw_build_s: number;
  hnsw_index_mb: number;
  bit_index_build_s: number;
  bit_index_mb: number;
  methods: SearchMethodResult[];
}

const TABLE = 'bench_vectors';
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** The embedding's sign bits as a Postgres bit-string literal: the model's 256-bit binary code. */
const bits = (embedding: Float32Array) =>
  [...Buffer.from(binaryCode(embedding), 'hex')].map((byte) => byte.toString(2).padStart(8, '0')).join('');

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

async function load(knex: Knex, embeddings: Float32Array[], dims: number): Promise<number> {
  await knex.raw(`DROP TABLE IF EXISTS ${TABLE}`);
  await knex.raw(
    `CREATE TABLE ${TABLE} (id integer PRIMARY KEY, embedding vector(${dims}), code bit(${dims}))`,
  );
  const { ms } = await timed(async () => {
    for (let from = 0; from < embeddings.length; from += 500) {
      const rows = embeddings.slice(from, from + 500).map((e, i) => ({
        id: from + i,
        embedding: vectorLiteral(e),
        code: knex.raw(`B'${bits(e)}'`),
      }));
      await knex(TABLE).insert(rows);
    }
  });
  await knex.raw(`ANALYZE ${TABLE}`);
  return ms / 1000;
}

/** Runs `sql` for every query, inside one transaction with `settings` applied; ids and times. */
async function search(
  knex: Knex,
  queries: Float32Array[],
  settings: string[],
  sql: string,
  bindings: (q: Float32Array) => unknown[],
): Promise<{ ids: number[][]; ms: number[] }> {
  return knex.transaction(async (trx) => {
    for (const setting of settings) await trx.raw(setting);
    const ids: number[][] = [];
    const ms: number[] = [];
    for (const q of queries) {
      const { value, ms: took } = await timed(() => trx.raw(sql, bindings(q) as Knex.RawBinding[]));
      ids.push((value as { rows: { id: number }[] }).rows.map((r) => r.id));
      ms.push(took);
    }
    return { ids, ms };
  });
}

function score(
  method: string,
  found: { ids: number[][]; ms: number[] },
  truth: number[][],
): SearchMethodResult {
  const recall =
    found.ids.reduce((sum, ids, i) => {
      const exact = new Set(truth[i]);
      return sum + ids.filter((id) => exact.has(id)).length / Math.max(1, exact.size);
    }, 0) / found.ids.length;
  const sorted = [...found.ms].sort((a, b) => a - b);
  return {
    method,
    recall_at_10: round(recall, 4),
    mean_ms: round(found.ms.reduce((a, b) => a + b, 0) / found.ms.length),
    p95_ms: round(sorted[Math.floor(sorted.length * 0.95)] ?? 0),
  };
}

const sizeMb = async (knex: Knex, index: string) =>
  round(
    Number(
      ((await knex.raw('SELECT pg_relation_size(?) AS bytes', [index])) as { rows: { bytes: string }[] })
        .rows[0]?.bytes,
    ) /
      2 ** 20,
    1,
  );

/**
 * Nearest neighbours as the cataloger finds them (pgvector, cosine) at one catalogue size: exact
 * search (a sequential scan) as the truth; HNSW (m 16, ef_construction 64, as the cataloger
 * builds it) at three ef_search values; and the binary-code pre-filter: candidates by Hamming
 * distance on the model's 256-bit sign code (a sequential scan, then an HNSW index on the bits)
 * re-ranked by exact cosine.
 */
export async function benchVectors(args: {
  knex: Knex;
  embeddings: Float32Array[];
  queries: Float32Array[];
  onStep?: (step: string) => void;
}): Promise<VectorScaleResult> {
  const { knex, embeddings, queries } = args;
  const dims = embeddings[0]?.length ?? 0;
  const vec = `?::vector(${dims})`;
  const q = (e: Float32Array) => [vectorLiteral(e)];
  const qb = (e: Float32Array) => [`${bits(e)}`, vectorLiteral(e)];
  args.onStep?.(`loading ${embeddings.length} embeddings`);
  const insertS = await load(knex, embeddings, dims);
  const noIndex = ['SET LOCAL enable_indexscan = off', 'SET LOCAL enable_bitmapscan = off'];
  const knn = `SELECT id FROM ${TABLE} ORDER BY embedding <=> ${vec} LIMIT 10`;

  args.onStep?.('exact search');
  const exact = await search(knex, queries, noIndex, knn, q);
  const methods = [score('exact (sequential scan)', exact, exact.ids)];

  args.onStep?.('HNSW build');
  const build = await timed(() =>
    knex.raw(
      `CREATE INDEX ${TABLE}_hnsw ON ${TABLE} USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`,
    ),
  );
  for (const ef of [40, 100, 200]) {
    args.onStep?.(`HNSW ef_search ${ef}`);
    const found = await search(knex, queries, [`SET LOCAL hnsw.ef_search = ${ef}`], knn, q);
    methods.push(score(`HNSW, ef_search ${ef}${ef === 40 ? ' (default)' : ''}`, found, exact.ids));
  }

  const prefilter = (candidates: number) =>
    `SELECT id FROM (SELECT id, embedding FROM ${TABLE} ORDER BY code <~> ?::bit(${dims}) LIMIT ${candidates}) c ORDER BY embedding <=> ${vec} LIMIT 10`;
  for (const candidates of [100, 1000]) {
    args.onStep?.(`binary pre-filter scan, ${candidates} candidates`);
    const found = await search(knex, queries, noIndex, prefilter(candidates), qb);
    methods.push(score(`binary code scan, top ${candidates} by Hamming, cosine re-rank`, found, exact.ids));
  }
  args.onStep?.('binary code HNSW build');
  const bitBuild = await timed(() =>
    knex.raw(
      `CREATE INDEX ${TABLE}_bits ON ${TABLE} USING hnsw (code bit_hamming_ops) WITH (m = 16, ef_construction = 64)`,
    ),
  );
  for (const candidates of [100, 400]) {
    args.onStep?.(`binary HNSW, ${candidates} candidates`);
    const found = await search(
      knex,
      queries,
      [`SET LOCAL hnsw.ef_search = ${candidates}`, 'SET LOCAL enable_seqscan = off'],
      prefilter(candidates),
      qb,
    );
    methods.push(score(`binary code HNSW, top ${candidates} by Hamming, cosine re-rank`, found, exact.ids));
  }
  const result: VectorScaleResult = {
    embeddings: embeddings.length,
    dims,
    queries: queries.length,
    insert_s: round(insertS, 1),
    hnsw_build_s: round(build.ms / 1000, 1),
    hnsw_index_mb: await sizeMb(knex, `${TABLE}_hnsw`),
    bit_index_build_s: round(bitBuild.ms / 1000, 1),
    bit_index_mb: await sizeMb(knex, `${TABLE}_bits`),
    methods,
  };
  await knex.raw(`DROP TABLE ${TABLE}`);
  return result;
}
