import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { writeBenchPhotos } from '../../services/bench/faults/fault-bench.ts';
import { listingValue, type PlannedListing } from '../../services/bench/faults/fault-ground-truth.ts';
import { startSystem } from '../../services/system/system.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

/** Issue 21's bound: statements of the whole process (enricher, cataloger, embedded bus) per listing at flood. */
const MAX_STATEMENTS_PER_LISTING = 8;
const PHOTOS = 30;
const FLOOD = 150;
/** Queries of this test itself carry this comment and are not counted. */
const PROBE = '/* test probe */';

test('a flood costs at most 8 statements per listing (enricher, cataloger and embedded bus together), and product counts stay exact', async (t) => {
  const { home, cleanup } = tempHome();
  const config = testConfig({ GROKCAT_HOME: home, GROKCAT_BUS_PARTITIONS: '4' });
  const system = await startSystem({ config, log: testLogger(), services: ['enricher', 'cataloger'] });
  try {
    const { knex } = system.database;
    await writeBenchPhotos(config.image.fileRoot, PHOTOS);
    const publisher = createEventPublisher({ bus: system.bus, codec: openCodec(config) });
    const listing = (i: number): PlannedListing => ({
      id: `flood-${i}`,
      fate: 'cataloged',
      expectedCode: null,
      // Every photo is listed several times: most listings join a product, some products merge.
      photos: [{ kind: 'file', name: `p${i % PHOTOS}.png` }],
      title: `flood item ${i % PHOTOS} listing ${i}`,
      price: 1000 + (i % PHOTOS) * 10,
      update: null,
    });
    const publish = (from: number, count: number) =>
      publisher.publish(
        Array.from({ length: count }, (_, k) => listing(from + k)).map((l) => ({
          topic: TOPICS.listingsCreated,
          key: l.id,
          value: listingValue(
            l,
            (p) => pathToFileURL(path.join(config.image.fileRoot, p.name)).href,
            'first',
          ),
        })),
      );
    const cataloged = async () =>
      Number(
        (
          await knex.raw(
            `${PROBE} SELECT count(*) AS n FROM price_suggestions WHERE listing_id LIKE 'flood-%'`,
          )
        ).rows[0].n,
      );
    const waitCataloged = async (n: number) => {
      const until = Date.now() + 300_000;
      while ((await cataloged()) < n) {
        assert.ok(Date.now() < until, `${n} listings cataloged in 5 min`);
        await sleep(250);
      }
    };
    // Warm-up: the model loaded, consumers joined, the space's index made.
    await publish(0, 10);
    await waitCataloged(10);

    let statements = 0;
    const byKind = new Map<string, number>();
    knex.on('query', (query: { sql: string }) => {
      if (query.sql.startsWith(PROBE)) return;
      statements += 1;
      const kind = query.sql.replace(/\s+/g, ' ').slice(0, 60);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    });
    await publish(10, FLOOD);
    await waitCataloged(10 + FLOOD);
    const perListing = statements / FLOOD;
    const top = [...byKind]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, n]) => `${(n / FLOOD).toFixed(2)} ${k}`)
      .join('\n');
    t.diagnostic(`${perListing.toFixed(2)} statements per listing; the most frequent:\n${top}`);
    assert.ok(
      perListing <= MAX_STATEMENTS_PER_LISTING,
      `${perListing.toFixed(2)} statements per listing (at most ${MAX_STATEMENTS_PER_LISTING}); the most frequent:\n${top}`,
    );

    // Counts kept incrementally are the counts.
    const wrong = await knex.raw(
      `${PROBE} SELECT p.id, p.listing_count, (SELECT count(*) FROM listings l WHERE l.product_id = p.id) AS actual
         FROM products p
        WHERE p.listing_count <> (SELECT count(*) FROM listings l WHERE l.product_id = p.id)`,
    );
    assert.deepEqual(wrong.rows, [], 'every product counts its listings');
    // Each listing's newest enrichment names its listing's product: written once, with it.
    const mismatched = await knex.raw(
      `${PROBE} SELECT l.id FROM listings l JOIN enrichments e ON e.listing_id = l.id
        WHERE l.id LIKE 'flood-%' AND e.product_id IS DISTINCT FROM l.product_id`,
    );
    assert.deepEqual(mismatched.rows, []);
    const products = Number(
      (
        await knex.raw(
          `${PROBE} SELECT count(DISTINCT product_id) AS n FROM listings WHERE id LIKE 'flood-%'`,
        )
      ).rows[0].n,
    );
    assert.ok(products < (10 + FLOOD) / 2, `duplicates joined products: ${products} products`);
  } finally {
    await system.stop();
    cleanup();
  }
});
