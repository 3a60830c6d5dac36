import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { context } from '@opentelemetry/api';
import { configuredMatchSettings } from '../../services/cataloger/canonicalize.ts';
import type { ListingEnriched } from '../../services/cataloger/cataloged-events.ts';
import { createCataloger } from '../../services/cataloger/cataloger.ts';
import type { ConsumedEvent, HandlerContext } from '../../shared/bus/consumer-runtime.ts';
import type { EventToPublish } from '../../shared/bus/event-publisher.ts';
import { createCatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import { createLogger } from '../../shared/log/logger.ts';
import { nativeServerUrl } from '../support/native-database.ts';
import { tempHome, testConfig } from '../support/temp-home.ts';

// Two catalogers place duplicates of the same products at the same moment, in opposite orders. Only
// a native PostgreSQL runs their transactions side by side (PGlite runs one at a time, so there the
// test checks the outcome of the same protocol without a race): `npm run test:postgres`.
const DIMS = 32;
const PRODUCTS = 12;
const ROUNDS = 3;
const VERSION = 'race-test';

let database: Database;
let cleanup: () => void;
const conflicts: string[] = [];

/** Product k's direction: one-hot on axis k (products far apart), a duplicate a little off it. */
const embeddingOf = (product: number, copy: number) =>
  Array.from({ length: DIMS }, (_, d) => (d === product ? 1 : d === PRODUCTS + (copy % 8) ? 0.05 : 0));

function enrichedEvent(product: number, copy: number): ConsumedEvent {
  const listingId = `race-${product}-${copy}`;
  const value: ListingEnriched = {
    event_id: `ev-${listingId}`,
    listing_id: listingId,
    model_version: VERSION,
    category: { label: copy % 2 === 0 ? 'lamp' : 'chair', confidence: 0.6 },
    known: true,
    attributes: [],
    queries: [],
    embedding: embeddingOf(product, copy),
    title: `race product ${product} copy ${copy}`,
    price: { amount_minor: 1000 + product, currency: 'EUR' },
  };
  return {
    topic: 'listings.enriched',
    partition: copy % 2,
    offset: String(copy),
    key: listingId,
    eventId: value.event_id,
    timestamp: Date.now(),
    headers: {},
    value: value as unknown as Record<string, unknown>,
    writer: 'test',
    traceContext: context.active(),
  };
}

before(async () => {
  const home = tempHome('grokcat-race-');
  cleanup = home.cleanup;
  database = await openDatabase(testConfig({ GROKCAT_HOME: home.home, GROKCAT_DB_POOL_MAX: '6' }), {
    log: createLogger({ log: { level: 'silent', format: 'json' } }, { service: 'test' }),
  });
  await database.knex('model_versions').insert({
    version: VERSION,
    artifact_uri: 'file:///nowhere/model.onnx',
    card: JSON.stringify({ embedding_space: 'race-space' }),
  });
});

after(async () => {
  await database?.close();
  cleanup?.();
});

function catalogerAndContext(name: string) {
  const published: EventToPublish[] = [];
  const cataloger = createCataloger({
    catalog: createCatalogRepository(database.knex),
    publisher: { publish: async (events) => void published.push(...events) },
    settings: () => configuredMatchSettings({ matchThreshold: 0.8, textWeight: 0.2 }),
    neighbours: 10,
    log: createLogger({ log: { level: 'silent', format: 'json' } }, { service: name }),
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      const line = JSON.parse(String(chunk)) as { msg: string; reason?: string };
      if (line.msg.includes('conflict')) conflicts.push(`${name}: ${line.reason}`);
      done();
    },
  });
  const ctx: HandlerContext = {
    topic: 'listings.enriched',
    partition: 0,
    log: createLogger({ log: { level: 'debug', format: 'json' } }, { service: name, destination: sink }),
    deadLetter: () => assert.fail('nothing is dead-lettered'),
  };
  return { handle: (events: ConsumedEvent[]) => cataloger.handleEnriched(events, ctx), published };
}

test(`two catalogers placing duplicates at once, in opposite orders, split no product and lose none (${nativeServerUrl() ? 'native PostgreSQL: transactions race' : 'PGlite: one transaction at a time'})`, async () => {
  const a = catalogerAndContext('cataloger-a');
  const b = catalogerAndContext('cataloger-b');
  const products = Array.from({ length: PRODUCTS }, (_, k) => k);
  for (let round = 0; round < ROUNDS; round++) {
    // Round 0: both found products at once. Later rounds: joins, crossed with each other's rows.
    await Promise.all([
      a.handle(products.map((k) => enrichedEvent(k, 2 * round))),
      b.handle([...products].reverse().map((k) => enrichedEvent(k, 2 * round + 1))),
    ]);
  }
  const { knex } = database;
  const rows = await knex('listings as l')
    .join('products as p', 'p.id', 'l.product_id')
    .where('l.id', 'like', 'race-%')
    .select('l.id', 'l.product_id', 'p.merged_into');
  assert.equal(rows.length, PRODUCTS * ROUNDS * 2, 'every listing has a product');
  for (const row of rows) assert.equal(row.merged_into, null, `${row.id} points at a merged product`);
  for (const k of products) {
    const ofK = new Set(rows.filter((r) => r.id.startsWith(`race-${k}-`)).map((r) => String(r.product_id)));
    assert.equal(ofK.size, 1, `product ${k}'s duplicates are in ${[...ofK].join(', ')}`);
  }
  const counts = await knex('products as p')
    .whereNull('p.merged_into')
    .whereExists(knex('listings').whereRaw('product_id = p.id').where('id', 'like', 'race-%'))
    .select(
      'p.id',
      'p.listing_count',
      knex.raw('(select count(*) from listings l where l.product_id = p.id)::int as n'),
    );
  assert.equal(counts.length, PRODUCTS);
  for (const c of counts) assert.equal(Number(c.listing_count), c.n, `product ${c.id} counts its listings`);
  const enrichments = await knex('enrichments as e')
    .join('listings as l', 'l.id', 'e.listing_id')
    .where('e.listing_id', 'like', 'race-%')
    .select('e.listing_id', 'e.product_id', 'l.product_id as listing_product');
  assert.equal(enrichments.length, rows.length, 'one enrichment per listing');
  for (const e of enrichments) assert.equal(String(e.product_id), String(e.listing_product), e.listing_id);
  assert.equal(a.published.length + b.published.length, rows.length * 2, 'cataloged + price per listing');
  process.stdout.write(`# conflicts met and retried: ${conflicts.length}\n`);
});
