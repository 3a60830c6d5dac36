import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { staleCatalogueTables } from '../../shared/db/embedded-maintenance.ts';
import { openDatabase } from '../../shared/db/open-database.ts';
import { waitFor } from '../support/bus-contract.ts';
import { startPgliteTcpServer } from '../support/pglite-tcp-server.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

const { home, cleanup } = tempHome();
after(cleanup);

// PGlite has no autovacuum: without grokcat's own maintenance a table is never analyzed (the planner
// has no statistics, pg_class.reltuples stays -1) and upserted rows' dead versions are never reclaimed.
test('the process serving the embedded database vacuums and analyzes it (PGlite has no autovacuum)', async () => {
  const database = await openDatabase(
    testConfig({ GROKCAT_HOME: home, DATABASE_URL: '', GROKCAT_DB_VACUUM_SECONDS: '1' }),
    {
      log: testLogger(),
    },
  );
  try {
    assert.equal(database.embeddedOwner, true);
    const reltuples = async () =>
      Number(
        (
          (await database.knex.raw("SELECT reltuples FROM pg_class WHERE relname = 'listings'")) as {
            rows: { reltuples: number }[];
          }
        ).rows[0]?.reltuples,
      );
    await database.knex('listings').insert(
      Array.from({ length: 40 }, (_, i) => ({
        id: `m-${i}`,
        title: `t${i}`,
        description: '',
        source_event_id: `e${i}`,
      })),
    );
    await waitFor('listings analyzed', async () => (await reltuples()) === 40, 10_000);
  } finally {
    await database.close();
  }
});

test('GROKCAT_DB_VACUUM_SECONDS=0 turns it off', async () => {
  const { home: other, cleanup: done } = tempHome();
  const database = await openDatabase(
    testConfig({ GROKCAT_HOME: other, DATABASE_URL: '', GROKCAT_DB_VACUUM_SECONDS: '0' }),
    {
      log: testLogger(),
    },
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const row = (await database.knex.raw("SELECT reltuples FROM pg_class WHERE relname = 'listings'")) as {
      rows: { reltuples: number }[];
    };
    assert.equal(Number(row.rows[0]?.reltuples), -1, 'never analyzed');
  } finally {
    await database.close();
    done();
  }
});

test('maintain: true maintains a PGlite this process serves over TCP (the benchmarks), not only the embedded one', async () => {
  const { home: other, cleanup: done } = tempHome();
  const server = await startPgliteTcpServer({ withPgvector: true });
  const database = await openDatabase(
    testConfig({ GROKCAT_HOME: other, DATABASE_URL: server.url, GROKCAT_DB_VACUUM_SECONDS: '1' }),
    { log: testLogger(), maintain: true },
  );
  try {
    assert.equal(database.embeddedOwner, null, 'not the embedded database');
    await database.knex('listings').insert(
      Array.from({ length: 30 }, (_, i) => ({
        id: `t-${i}`,
        title: `t${i}`,
        description: '',
        source_event_id: `e${i}`,
      })),
    );
    await waitFor(
      'listings analyzed',
      async () => {
        const row = (await database.knex.raw(
          "SELECT reltuples FROM pg_class WHERE relname = 'listings'",
        )) as {
          rows: { reltuples: number }[];
        };
        return Number(row.rows[0]?.reltuples) === 30;
      },
      10_000,
    );
  } finally {
    await database.close();
    await server.stop();
    done();
  }
});

test('catalogue tables that grew by more than 50 rows and 10 % are due for ANALYZE, and not once analyzed', async () => {
  const database = await openDatabase(testConfig({ GROKCAT_HOME: home, GROKCAT_DB_VACUUM_SECONDS: '0' }), {
    log: testLogger(),
  });
  try {
    const { knex } = database;
    await knex.raw('ANALYZE listings');
    assert.deepEqual(await staleCatalogueTables(knex), []);
    await knex.raw(
      `INSERT INTO listings (id, title) SELECT 'grown-' || g, 't' FROM generate_series(1, 30) g`,
    );
    assert.deepEqual(await staleCatalogueTables(knex), [], '30 rows are under the threshold');
    await knex.raw(
      `INSERT INTO listings (id, title) SELECT 'grown-more-' || g, 't' FROM generate_series(1, 500) g`,
    );
    assert.deepEqual(await staleCatalogueTables(knex), ['listings']);
    await knex.raw('ANALYZE listings');
    assert.deepEqual(await staleCatalogueTables(knex), []);
  } finally {
    await database.close();
  }
});
