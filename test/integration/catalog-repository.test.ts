import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_PRODUCT_COMPARABLES, PRODUCT_PRICE_SAMPLE } from '../../services/cataloger/price-comparables.ts';
import { createCatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { createPagePhotoRegionRepository } from '../../shared/catalog/page-photo-regions.repository.ts';
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
    tx.productPrices(Number(productId), SPACE, at(0), 'p-0', MAX_PRODUCT_COMPARABLES, PRODUCT_PRICE_SAMPLE),
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
    tx.productPrices(Number(productId), SPACE, at(0), 'p-0', 1000, PRODUCT_PRICE_SAMPLE),
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

test("a listing's hub score is its mean top-k similarity to recent page-photo regions, the photo's own left out", async () => {
  const regions = createPagePhotoRegionRepository(database.knex);
  const query = { space: SPACE, dims: 4, listingIds: ['p-0', 'p-60'], photoId: 'new', pool: 100, k: 2 };
  assert.equal((await regions.hubScores(query)).size, 0, 'no pool yet: no correction');
  // Regions at 0, 10 and 20 degrees; the tagged photo's own earlier regions sit exactly on p-60.
  await regions.remember({
    space: SPACE,
    photoId: 'old',
    embeddings: [at(0), at(Math.PI / 18), at(Math.PI / 9)],
    keep: 100,
  });
  await regions.remember({
    space: SPACE,
    photoId: 'old',
    embeddings: [at(0), at(Math.PI / 18), at(Math.PI / 9)],
    keep: 100,
  });
  await regions.remember({ space: SPACE, photoId: 'new', embeddings: [at(Math.PI / 3)], keep: 100 });
  const count = async () => Number((await database.knex('page_photo_regions').count({ n: '*' }))[0]?.n);
  assert.equal(await count(), 4, 'a photo remembered twice (a replay) adds its regions once');
  const hubs = await regions.hubScores(query);
  const deg = (d: number) => Math.cos((d * Math.PI) / 180);
  assert.ok(Math.abs((hubs.get('p-0') ?? 0) - (deg(0) + deg(10)) / 2) < 1e-4, JSON.stringify([...hubs]));
  assert.ok(Math.abs((hubs.get('p-60') ?? 0) - (deg(40) + deg(50)) / 2) < 1e-4, JSON.stringify([...hubs]));
  assert.equal((await regions.hubScores({ ...query, k: 4 })).size, 0, 'fewer regions than k: no correction');
  assert.equal((await regions.hubScores({ ...query, space: 'another-space' })).size, 0);
  // The pool is the newest regions: with room for 2, the 0-degree region is the first to go.
  await regions.remember({ space: SPACE, photoId: 'newest', embeddings: [at(Math.PI / 2)], keep: 2 });
  assert.equal(await count(), 2);
  const pruned = await regions.hubScores({ ...query, photoId: 'none' });
  assert.ok(Math.abs((pruned.get('p-0') ?? 0) - (deg(60) + deg(90)) / 2) < 1e-4, JSON.stringify([...pruned]));
});
