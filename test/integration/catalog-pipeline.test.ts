import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pagePhotoRegions } from '../../services/enricher/page-photo-regions.ts';
import { startSystem } from '../../services/system/system.ts';
import { newEventId } from '../../shared/bus/event-publisher.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { waitFor } from '../support/bus-contract.ts';
import { collect, runCoreScenario } from '../support/catalog-scenario.ts';
import { runCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome, testConfig, testLogger } from '../support/temp-home.ts';

test('the catalog pipeline on the embedded bus: enrich, canonicalize, price, tag; redelivery and labels', async () => {
  const { home, cleanup } = tempHome();
  const config = testConfig({ GROKCAT_HOME: home, GROKCAT_CONSUMER_RETRY_MAX_MS: '300' });
  const system = await startSystem({ config, log: testLogger() });
  try {
    const codec = openCodec(config);
    const { knex } = system.database;
    const out = await collect(system.bus, [TOPICS.pricesSuggested, TOPICS.listingsCataloged], 'test-outputs');
    const { scenario, products, publisher, events } = await runCoreScenario({
      bus: system.bus,
      codec,
      database: system.database,
      imageRoot: config.image.fileRoot,
      group: 'test-core',
    });

    // Every cataloged listing is announced, and its price explained by comparable ids.
    await waitFor(
      'five prices.suggested',
      () => out.messages.filter((m) => m.topic === TOPICS.pricesSuggested).length >= 5,
    );
    const x3 = out.messages.find((m) => m.topic === TOPICS.pricesSuggested && m.key === 'x3');
    const decoded = (await codec.decode(TOPICS.pricesSuggested, (x3 as { value: Buffer }).value)).value as {
      status: string;
      comparables: { listing_id: string }[];
    };
    assert.equal(decoded.status, 'SUGGESTED');
    assert.deepEqual(decoded.comparables.map((c) => c.listing_id).sort(), ['x1', 'x2']);

    // A redelivered event (same event id) changes nothing: no second product, no second enrichment.
    const before = await knex('products').count({ n: '*' }).first();
    const stamp = (await knex('enrichments').where({ listing_id: 'x1' }).first()).updated_at;
    await publisher.publish([
      { topic: TOPICS.listingsCreated, key: 'x1', value: events[0] as Record<string, unknown> },
    ]);
    await waitFor('x1 processed again', async () => {
      const row = await knex('enrichments').where({ listing_id: 'x1' }).first();
      return row.updated_at.getTime() !== stamp.getTime();
    });
    assert.deepEqual(await knex('products').count({ n: '*' }).first(), before);
    assert.equal((await knex('enrichments').where({ listing_id: 'x1' })).length, 1);
    assert.equal((await knex('listings').where({ id: 'x1' }).first()).product_id, products.x1);

    // A person says x2 is not x1's product: x2 moves out at once, and a later run keeps it out.
    await publisher.publish([
      {
        topic: TOPICS.labelsProductMatch,
        key: 'x1',
        value: {
          event_id: newEventId(),
          occurred_at: Date.now(),
          listing_id: 'x1',
          other_listing_id: 'x2',
          same_product: false,
          source: 'test',
        },
      },
    ]);
    await waitFor(
      'x2 split out',
      async () => (await knex('listings').where({ id: 'x2' }).first()).product_id !== products.x1,
    );
    const split = (await knex('listings').where({ id: 'x2' }).first()).product_id;
    await publisher.publish([
      {
        topic: TOPICS.listingsCreated,
        key: 'x2',
        value: { ...(events[1] as Record<string, unknown>), event_id: newEventId() },
      },
    ]);
    const catalogedX2 = () =>
      out.messages.filter((m) => m.topic === TOPICS.listingsCataloged && m.key === 'x2').length;
    await waitFor('x2 cataloged a second time', () => catalogedX2() >= 2);
    const x1Now = (await knex('listings').where({ id: 'x1' }).first()).product_id;
    const x2Now = (await knex('listings').where({ id: 'x2' }).first()).product_id;
    assert.equal(x2Now, split, 'the label is never undone');
    assert.notEqual(x1Now, x2Now, 'x1 and x2 stay apart');

    // A page photo showing the navy mug is tagged with the mug's product.
    await publisher.publish([
      {
        topic: TOPICS.photosUploaded,
        key: 'room-1',
        value: {
          event_id: newEventId(),
          occurred_at: Date.now(),
          photo_id: 'room-1',
          page_id: 'page-9',
          uploader_id: null,
          image: { uri: scenario.photos.room, inline_bytes: null, content_type: null },
          caption: null,
        },
      },
    ]);
    await waitFor('room-1 tagged', async () =>
      Boolean(await knex('photo_tags').where({ photo_id: 'room-1' }).first()),
    );
    const tags = (await knex('photo_tags').where({ photo_id: 'room-1' }).first()).products as {
      product_id: number;
      score: number;
      corrected: number;
    }[];
    assert.equal(String(tags[0]?.product_id), String(products.y1), 'the product the photo shows ranks first');

    // The next page photo is ranked against the regions of the ones before it (hubness correction).
    await publisher.publish([
      {
        topic: TOPICS.photosUploaded,
        key: 'room-2',
        value: {
          event_id: newEventId(),
          occurred_at: Date.now(),
          photo_id: 'room-2',
          page_id: 'page-9',
          uploader_id: null,
          image: { uri: scenario.photos.room, inline_bytes: null, content_type: null },
          caption: null,
        },
      },
    ]);
    await waitFor('room-2 tagged', async () =>
      Boolean(await knex('photo_tags').where({ photo_id: 'room-2' }).first()),
    );
    const corrected = (await knex('photo_tags').where({ photo_id: 'room-2' }).first()).products as {
      product_id: number;
      score: number;
      corrected: number;
    }[];
    assert.ok(
      tags.every((t) => t.corrected === t.score),
      'the first page photo has no pool: nothing corrected',
    );
    assert.ok(
      corrected.every((t) => t.corrected < t.score),
      'each product less its usual similarity to room-1',
    );
    const pooled = await knex.raw(
      'SELECT photo_id, count(*) AS n FROM page_photo_regions GROUP BY photo_id ORDER BY photo_id',
    );
    assert.deepEqual(
      pooled.rows.map((r: { photo_id: string; n: string }) => [r.photo_id, Number(r.n)]),
      [
        ['room-1', pagePhotoRegions().length + 1],
        ['room-2', pagePhotoRegions().length + 1],
      ],
    );
    await out.stop();
  } finally {
    await system.stop();
    cleanup();
  }
});

test('grokcat demo: every listing enriched and cataloged, none dead-lettered, fewer products than listings; eval catalog measures it', async () => {
  const { home, cleanup } = tempHome();
  try {
    const env = cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' });
    const demo = await runCli(['demo', '--listings', '40', '--json'], env);
    assert.equal(demo.code, 0, demo.stderr);
    const summary = demo.json as Record<string, number>;
    assert.equal(summary.listings, 40);
    assert.equal(summary.enriched, 40);
    assert.equal(summary.dead_lettered, 0);
    assert.ok((summary.products ?? 40) < 40, `products ${summary.products} < listings`);
    assert.ok((summary.priced ?? 0) > 0);

    const evaluation = await runCli(['eval', 'catalog', '--demo-only', '--json'], env);
    assert.equal(evaluation.code, 0, evaluation.stderr);
    const { demo: measured } = evaluation.json as {
      demo: {
        listings: number;
        canonicalization: Record<string, { pairwise: { f1: number } }>;
        price: { held_out: number };
      };
    };
    assert.equal(measured.listings, 40);
    for (const method of [
      'pipeline',
      'image',
      'image_single_link',
      'text',
      'fused',
      'fused_single_link',
      'phash',
      'dhash',
    ]) {
      const f1 = measured.canonicalization[method]?.pairwise.f1;
      assert.ok(typeof f1 === 'number' && f1 >= 0 && f1 <= 1, `${method} pairwise F1 ${f1}`);
    }
    assert.ok(measured.price.held_out >= 0);
  } finally {
    cleanup();
  }
});
