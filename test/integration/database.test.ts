import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspectDatabase } from '../../shared/db/database-status.ts';
import { listMigrationFiles } from '../../shared/db/migration-source.ts';
import { migrateToLatest, openDatabase, rollbackMigrations } from '../../shared/db/open-database.ts';
import { isGrokcatError } from '../../shared/errors/error-catalogue.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { startPgliteTcpServer } from '../support/pglite-tcp-server.ts';
import { tempHome, testConfig } from '../support/temp-home.ts';

const log = silentLogger();
const SCHEMA_TABLES = [
  'api_keys',
  'bus_group_members',
  'bus_group_offsets',
  'bus_partition_owners',
  'bus_partitions',
  'bus_records',
  'bus_topics',
  'enrichments',
  'image_features',
  'labels',
  'listing_failures',
  'listing_images',
  'listings',
  'model_versions',
  'page_photo_regions',
  'photo_tags',
  'price_suggestions',
  'products',
  'training_runs',
];

async function userTables(knex: import('knex').Knex): Promise<string[]> {
  const { rows } = await knex.raw<{ rows: { tablename: string }[] }>(
    "select tablename from pg_tables where schemaname = 'public' and tablename not like 'knex_%' order by 1",
  );
  return rows.map((row) => row.tablename);
}

describe('embedded database (PGlite + pgvector over a Unix socket)', () => {
  const { home, cleanup } = tempHome();
  const config = testConfig({ GROKCAT_HOME: home, DATABASE_URL: '' });
  after(cleanup);

  test('opens under GROKCAT_HOME and migrates to the latest schema', async () => {
    const db = await openDatabase(config, { log });
    try {
      assert.equal(db.kind, 'embedded');
      assert.equal(db.embeddedOwner, true);
      assert.equal(db.location, path.join(home, 'pgdata'));
      assert.ok(existsSync(path.join(home, 'pgdata')));
      const status = await inspectDatabase(db.knex);
      assert.deepEqual(status.pending, []);
      assert.equal(status.applied.length, listMigrationFiles().length);
      assert.match(status.serverVersion, /^\d+/);
      assert.notEqual(status.pgvector.installed, null);
      assert.deepEqual(await userTables(db.knex), SCHEMA_TABLES);
    } finally {
      await db.close();
    }
  });

  test('migrations go all the way down and up again', async () => {
    const db = await openDatabase(config, { log });
    try {
      const undone = await rollbackMigrations(db.knex, true);
      assert.equal(undone.length, listMigrationFiles().length);
      assert.deepEqual(await userTables(db.knex), []);
      const afterDown = await inspectDatabase(db.knex);
      assert.equal(afterDown.pgvector.installed, null, 'the first migration down drops the extension');
      assert.equal(afterDown.pending.length, listMigrationFiles().length);

      const applied = await migrateToLatest(db.knex, log);
      assert.equal(applied.length, listMigrationFiles().length);
      assert.deepEqual(await userTables(db.knex), SCHEMA_TABLES);
      assert.deepEqual(await migrateToLatest(db.knex, log), [], 'a second run applies nothing');
    } finally {
      await db.close();
    }
  });

  test('finds nearest neighbours with pgvector through knex, HNSW and exact agree', async () => {
    const db = await openDatabase(config, { log });
    const { knex } = db;
    try {
      await knex('model_versions').insert({ version: 'nn-test', artifact_uri: 'file:///dev/null', card: {} });
      // 200 random unit vectors of dimension 16, deterministic.
      let seed = 42;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31 - 0.5;
      };
      const vectors = Array.from({ length: 200 }, () => {
        const v = Array.from({ length: 16 }, random);
        const norm = Math.hypot(...v);
        return v.map((x) => x / norm);
      });
      await knex('listings').insert(vectors.map((_, i) => ({ id: `l${i}`, title: `listing ${i}` })));
      await knex('enrichments').insert(
        vectors.map((v, i) => ({
          listing_id: `l${i}`,
          model_version: 'nn-test',
          category: 'thing',
          category_confidence: 0.5,
          embedding: `[${v.join(',')}]`,
        })),
      );
      await knex.raw(
        "create index enrichments_nn_test_hnsw on enrichments using hnsw ((embedding::vector(16)) vector_cosine_ops) where model_version = 'nn-test'",
      );
      const query = vectors[7] as number[];
      const expected = vectors
        .map((v, i) => ({ id: `l${i}`, distance: 1 - v.reduce((sum, x, k) => sum + x * (query[k] ?? 0), 0) }))
        .sort((a, b) => a.distance - b.distance)
        .slice(0, 5);
      const rows = await knex('enrichments')
        .select(
          'listing_id',
          knex.raw('(embedding::vector(16)) <=> ?::vector(16) as distance', [`[${query.join(',')}]`]),
        )
        .where({ model_version: 'nn-test' })
        .orderBy('distance')
        .limit(5);
      assert.deepEqual(
        rows.map((row: { listing_id: string }) => row.listing_id),
        expected.map((row) => row.id),
      );
      assert.ok(
        Math.abs((rows[0] as { distance: number }).distance) < 1e-6,
        'a vector is its own nearest neighbour',
      );
      // The planner prefers a scan on 200 rows; forbid it to prove the version's HNSW index serves the query.
      const plan = await knex.transaction(async (trx) => {
        await trx.raw('set local enable_seqscan = off');
        return trx.raw<{ rows: { 'QUERY PLAN': string }[] }>(
          "explain select listing_id from enrichments where model_version = 'nn-test' order by (embedding::vector(16)) <=> ?::vector(16) limit 5",
          [`[${query.join(',')}]`],
        );
      });
      assert.match(
        plan.rows.map((row) => row['QUERY PLAN']).join('\n'),
        /Index Scan using enrichments_nn_test_hnsw/,
      );
    } finally {
      await db.close();
    }
  });

  test('serves concurrent connections without mixing their queries or results', async () => {
    // pglite-socket 0.2.17 interleaves extended-protocol messages of different connections; our
    // queue must not (see pglite-socket-server.ts). 400 parameterised queries over 10 connections.
    const db = await openDatabase(config, { log });
    try {
      const results = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          db.knex.raw<{ rows: { n: number; echo: string }[] }>('select ?::int as n, ?::text as echo', [
            i,
            `q${i}`,
          ]),
        ),
      );
      results.forEach((result, i) => {
        assert.deepEqual(result.rows, [{ n: i, echo: `q${i}` }]);
      });
      const inTransactions = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db.knex.transaction(async (trx) => {
            await trx.raw('create temp table if not exists scratch (n int) on commit drop');
            await trx.raw('insert into scratch values (?)', [i]);
            return (await trx.raw<{ rows: { n: number }[] }>('select n from scratch')).rows.map((r) => r.n);
          }),
        ),
      );
      inTransactions.forEach((rows, i) => {
        assert.deepEqual(rows, [i], 'a transaction sees only its own work');
      });
    } finally {
      await db.close();
    }
  });

  test('reuses the persisted data on a second open, and a second opener joins the first', async () => {
    const first = await openDatabase(config, { log });
    try {
      assert.equal(first.embeddedOwner, true);
      const counted = await first.knex('listings').count({ count: '*' }).first();
      assert.equal(Number(counted?.count), 200, 'rows written by the previous open are still there');
      const second = await openDatabase(config, { log });
      try {
        assert.equal(second.embeddedOwner, false, 'only one process-wide owner of the PGlite files');
        await second.knex('listings').insert({ id: 'from-second', title: 'joined' });
        const row = await first.knex('listings').where({ id: 'from-second' }).first();
        assert.equal(row?.title, 'joined');
      } finally {
        await second.close();
      }
      assert.equal(
        (await first.knex.raw('select 1 as one')).rows[0].one,
        1,
        'the owner still serves after a joiner leaves',
      );
    } finally {
      await first.close();
    }
  });
});

describe('external database (DATABASE_URL)', () => {
  let withVector: Awaited<ReturnType<typeof startPgliteTcpServer>>;
  let withoutVector: Awaited<ReturnType<typeof startPgliteTcpServer>>;
  before(async () => {
    withVector = await startPgliteTcpServer({ withPgvector: true });
    withoutVector = await startPgliteTcpServer({ withPgvector: false });
  });
  after(async () => {
    await withVector?.stop();
    await withoutVector?.stop();
  });

  test('connects and migrates a Postgres that has pgvector', async () => {
    const db = await openDatabase(testConfig({ DATABASE_URL: withVector.url }), { log });
    try {
      assert.equal(db.kind, 'external');
      assert.equal(db.embeddedOwner, null);
      assert.doesNotMatch(db.location, /secret/, 'the password never shows in the location');
      assert.deepEqual(await userTables(db.knex), SCHEMA_TABLES);
    } finally {
      await db.close();
    }
  });

  test('refuses a Postgres without pgvector, saying how to fix it', async () => {
    await assert.rejects(openDatabase(testConfig({ DATABASE_URL: withoutVector.url }), { log }), (error) => {
      assert.ok(isGrokcatError(error, 'DB_PGVECTOR_MISSING'), String(error));
      assert.match(error.message, /no pgvector extension/);
      assert.match(error.message, /pgvector\/pgvector/);
      return true;
    });
  });

  test('fails clearly and quickly on an unreachable server', async () => {
    const started = Date.now();
    await assert.rejects(
      openDatabase(
        testConfig({
          DATABASE_URL: 'postgres://u:pw@127.0.0.1:9/none',
          GROKCAT_DB_CONNECT_TIMEOUT_MS: '2000',
        }),
        { log },
      ),
      (error) => {
        assert.ok(isGrokcatError(error, 'DB_UNREACHABLE'), String(error));
        assert.equal(error.retriable, true);
        assert.match(error.message, /Cannot reach Postgres at postgres:\/\/u:\*\*\*@127\.0\.0\.1:9\/none/);
        assert.match(error.message, /ECONNREFUSED/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000);
  });
});
