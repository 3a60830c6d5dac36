import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AGREEMENT_MEMBERS } from '../../services/cataloger/canonicalize.ts';
import { MAX_PRODUCT_COMPARABLES, PRODUCT_PRICE_SAMPLE } from '../../services/cataloger/price-comparables.ts';
import { createCatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

/**
 * The cataloger's statements on a catalogue of 5,000 listings, by plan shape rather than time: none
 * may read a catalogue table whole (a sequential scan, or the nested loop over a whole space's
 * enrichments that made cost per listing grow with the catalogue, issue 21), and neighbours come from
 * the space's HNSW index.
 */
const LISTINGS = 5000;
const PRODUCTS = 1500;
const DIMS = 64;
const SPACE = 'plan-test-space';
const CATALOGUE_TABLES = new Set([
  'listings',
  'enrichments',
  'products',
  'listing_images',
  'price_suggestions',
]);

let database: Database;
let cleanup: () => void;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];
/** The plan as an indented outline: node type, table, index. */
const outline = (node: PlanNode, depth = 0): string =>
  [
    `${'  '.repeat(depth)}${node['Node Type']}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`,
    ...(node.Plans ?? []).map((child) => outline(child, depth + 1)),
  ].join('\n');

before(async () => {
  const home = tempHome();
  cleanup = home.cleanup;
  database = await openDatabase(testConfig({ GROKCAT_HOME: home.home }), { log: testLogger() });
  const { knex } = database;
  await knex('model_versions').insert({
    version: 'plan-test',
    artifact_uri: 'file:///nowhere/model.onnx',
    card: JSON.stringify({ embedding_space: SPACE }),
  });
  await knex.raw(
    `INSERT INTO products (category, title, model_version, listing_count)
     SELECT 'c' || (g % 10), 'product ' || g, 'plan-test', 0 FROM generate_series(1, ?) g`,
    [PRODUCTS],
  );
  // Products of very unequal size: product 1 holds a tenth of the catalogue (a popular one).
  await knex.raw(
    `INSERT INTO listings (id, title, price_minor, currency, condition, product_id, updated_at)
     SELECT 'l-' || g, 'listing ' || g, 1000 + g, 'EUR', 'used',
            (SELECT min(id) FROM products) + CASE WHEN g % 10 = 0 THEN 0 ELSE g % ? END,
            now() - g * interval '1 second'
       FROM generate_series(1, ?) g`,
    [PRODUCTS, LISTINGS],
  );
  await knex.raw(
    `INSERT INTO enrichments (listing_id, model_version, embedding_space, category, category_confidence, embedding, product_id)
     SELECT l.id, 'plan-test', ?, 'c' || (hashtext(l.id) & 7), 0.9,
            (SELECT array_agg(random())::float4[] FROM generate_series(1, ?) d WHERE l.id IS NOT NULL)::vector,
            l.product_id
       FROM listings l`,
    [SPACE, DIMS],
  );
  await knex.raw(
    `INSERT INTO listing_images (listing_id, position, ref_kind, ref, status)
     SELECT id, 0, 'url', 'https://example.com/' || id || '.jpg', 'ok' FROM listings`,
  );
  await knex.raw(
    `UPDATE products p SET listing_count = (SELECT count(*) FROM listings l WHERE l.product_id = p.id)`,
  );
  await createCatalogRepository(knex).ensureIndex(SPACE, DIMS);
  await knex.raw('VACUUM (ANALYZE)');
});

after(async () => {
  await database?.close();
  cleanup?.();
});

test('on 5,000 listings no cataloger statement scans a catalogue table, and neighbours use the HNSW index', async () => {
  const { knex } = database;
  const catalog = createCatalogRepository(knex);
  const embedding = Array.from({ length: DIMS }, (_, i) => (i % 3) / 3);
  const popular = Number((await knex('products').min({ id: 'id' }).first())?.id);
  const captured: { label: string; sql: string; bindings: unknown[] }[] = [];
  let label = '';
  const listen = (query: { sql: string; bindings?: unknown[] }) => {
    if (!/^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/i.test(query.sql.trim()))
      captured.push({ label, sql: query.sql, bindings: query.bindings ?? [] });
  };
  knex.on('query', listen);
  const step = async (name: string, run: () => Promise<unknown>) => {
    label = name;
    await run();
  };
  // The statements of one cataloged listing, as the cataloger runs them, then rolled back.
  await catalog
    .transaction(async (tx) => {
      await step('listing states', () =>
        tx.ensureListingStates([
          {
            id: 'l-42',
            title: 'listing 42',
            price: { amount_minor: 1042, currency: 'EUR' },
            source_event_id: 'e',
          },
        ]),
      );
      await step('batch labels', () => tx.batchMatchLabels(['l-42']));
      await step('neighbours', () => tx.neighbours({ space: SPACE, embedding, k: 20, exclude: 'l-42' }));
      await step('members', () =>
        tx.memberSimilarities({
          space: SPACE,
          embedding,
          productIds: [popular, popular + 7],
          exclude: 'l-42',
          limit: AGREEMENT_MEMBERS,
        }),
      );
      await step('place (join and merge)', () =>
        tx.placeListing(
          {
            listing_id: 'l-42',
            model_version: 'plan-test',
            embedding_space: SPACE,
            category: 'c2',
            category_confidence: 0.9,
            category_known: true,
            attributes: {},
            queries: [],
            embedding,
            source_event_id: 'e',
          },
          'plan-test',
          { kind: 'join', root: popular, merged: [popular + 7] },
          { space: SPACE, embedding, sample: PRODUCT_PRICE_SAMPLE, limit: MAX_PRODUCT_COMPARABLES },
        ),
      );
      await step('product prices', () =>
        tx.productPrices(popular, SPACE, embedding, 'l-42', MAX_PRODUCT_COMPARABLES, PRODUCT_PRICE_SAMPLE),
      );
      await step('category prices', () => tx.categoryPrices(SPACE, 'c2', 'EUR', 'l-42'));
      throw new Error('rolled back on purpose');
    })
    .catch((error: Error) => assert.equal(error.message, 'rolled back on purpose'));
  knex.off('query', listen);
  assert.ok(captured.length >= 7, `statements captured: ${captured.map((c) => c.label).join(', ')}`);

  const connection = await knex.client.acquireConnection();
  try {
    for (const { label: name, sql, bindings } of captured) {
      const result = await connection.query(`EXPLAIN (FORMAT JSON) ${sql}`, bindings);
      const plan = (result.rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]?.Plan as PlanNode;
      const nodes = nodesOf(plan);
      const scans = nodes.filter(
        (n) => n['Node Type'] === 'Seq Scan' && CATALOGUE_TABLES.has(n['Relation Name'] ?? ''),
      );
      assert.deepEqual(
        scans.map((n) => n['Relation Name']),
        [],
        `${name} reads a catalogue table whole:\n${outline(plan)}`,
      );
      if (name === 'neighbours') {
        assert.ok(
          nodes.some((n) => n['Index Name']?.startsWith('enrichments_hnsw_')),
          `neighbours use the space's HNSW index:\n${outline(plan)}`,
        );
      }
    }
  } finally {
    await knex.client.releaseConnection(connection);
  }
});
