import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_PRODUCT_COMPARABLES } from '../../services/cataloger/price-comparables.ts';
import { createCatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { vectorLiteral } from '../../shared/catalog/vector-index.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

const SPACE = 'repo-test-space';
const LISTINGS = 80;

let database: Database;
let cleanup: () => void;

/** A unit vector at `angle` in the plane of the first two axes: similarity to [1,0,0,0] is cos(angle). */
const at = (angle: number) => [Math.cos(angle), Math.sin(angle), 0, 0];

before(async () => {
  const home = tempHome();
  cleanup = home.cleanup;
  database = await openDatabase(testConfig({ GROKCAT_HOME: home.home }), { log: testLogger() });
  const { knex } = database;
  await knex('model_versions').insert({
    version: 'repo-test',
    artifact_uri: 'file:///nowhere/model.onnx',
    card: JSON.stringify({ embedding_space: SPACE }),
  });
  const [{ id: productId }] = await knex('products').insert({ category: 'lamp', listing_count: LISTINGS }, [
    'id',
  ]);
  // One popular product: listing i is i degrees away from the query, so the nearest are 0, 1, 2, ...
  const ids = Array.from({ length: LISTINGS }, (_, i) => i);
  await knex('listings').insert(
    ids.map((i) => ({
      id: `p-${i}`,
      title: `lamp ${i}`,
      price_minor: 1000 + i,
      currency: 'EUR',
      product_id: productId,
    })),
  );
  await knex('enrichments').insert(
    ids.map((i) => ({
      listing_id: `p-${i}`,
      model_version: 'repo-test',
      embedding_space: SPACE,
      category: 'lamp',
      category_confidence: 0.9,
      embedding: vectorLiteral(at((i * Math.PI) / 180)),
      product_id: productId,
    })),
  );
});

after(async () => {
  await database?.close();
  cleanup?.();
});

test("a popular product's price comparables are its most similar listings, at most the limit", async () => {
  const catalog = createCatalogRepository(database.knex);
  const { id: productId } = await database.knex('products').first('id');
  const rows = await catalog.transaction((tx) =>
    tx.productPrices(Number(productId), SPACE, at(0), 'p-0', MAX_PRODUCT_COMPARABLES),
  );
  assert.equal(rows.length, MAX_PRODUCT_COMPARABLES);
  // The listing priced is left out; the rest come nearest first.
  assert.deepEqual(
    rows.map((r) => r.listing_id),
    Array.from({ length: MAX_PRODUCT_COMPARABLES }, (_, i) => `p-${i + 1}`),
  );
  const similarities = rows.map((r) => r.similarity);
  assert.deepEqual(
    similarities,
    [...similarities].sort((a, b) => b - a),
  );
  assert.equal(rows[0]?.price_minor, 1001);

  const all = await catalog.transaction((tx) =>
    tx.productPrices(Number(productId), SPACE, at(0), 'p-0', 1000),
  );
  assert.equal(all.length, LISTINGS - 1);
});

test("a product's members come with their image similarity, at most the limit per product, the listing itself left out", async () => {
  const catalog = createCatalogRepository(database.knex);
  const { id: productId } = await database.knex('products').first('id');
  const members = await catalog.transaction((tx) =>
    tx.memberSimilarities({
      space: SPACE,
      embedding: at(0),
      productIds: [Number(productId)],
      exclude: 'p-0',
      limit: 1000,
    }),
  );
  assert.equal(members.length, LISTINGS - 1);
  assert.ok(members.every((m) => m.product_id === Number(productId) && m.listing_id !== 'p-0'));
  const p10 = members.find((m) => m.listing_id === 'p-10');
  assert.ok(p10 && Math.abs(p10.similarity - Math.cos((10 * Math.PI) / 180)) < 1e-4, JSON.stringify(p10));
  assert.equal(p10.title, 'lamp 10');
  const capped = await catalog.transaction((tx) =>
    tx.memberSimilarities({
      space: SPACE,
      embedding: at(0),
      productIds: [Number(productId)],
      exclude: 'p-0',
      limit: 7,
    }),
  );
  assert.equal(capped.length, 7);
  const elsewhere = await catalog.transaction((tx) =>
    tx.memberSimilarities({
      space: 'another-space',
      embedding: at(0),
      productIds: [Number(productId)],
      exclude: 'p-0',
      limit: 7,
    }),
  );
  assert.equal(elsewhere.length, 0, 'members not enriched in the space are left out');
});
