import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startSystem } from '../../services/system/system.ts';
import { createTrainer } from '../../services/trainer/trainer.ts';
import { createEventPublisher, newEventId } from '../../shared/bus/event-publisher.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import { encodePng } from '../../shared/image/image-augment.ts';
import {
  PATTERN_COUNT,
  PRODUCT_COLOURS,
  renderShapeProduct,
  SHAPE_COUNT,
} from '../../shared/image/product-render.ts';
import { createModelRegistry, ensureServingModel } from '../../shared/model/model-registry.repository.ts';
import { createModelRuntime, runtimeOptions } from '../../shared/model/model-runtime.ts';
import { watchServingModel } from '../../shared/model/model-watcher.ts';
import { FASHION_MNIST_DIR, readFashionMnist } from '../../shared/model/reference/fashion-mnist.ts';
import { waitFor } from '../support/bus-contract.ts';
import { runCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome, testConfig, testLogger } from '../support/temp-home.ts';

// A catalogue team's own taxonomy, which the serving reference model has never seen.
const COARSE = [
  'tops',
  'bottoms',
  'tops',
  'dresses',
  'outerwear',
  'footwear',
  'tops',
  'footwear',
  'bags',
  'footwear',
];
const SHAPES = ['bags', 'mugs', 'lamps', 'boxes', 'plates', 'buckets'];
const LISTINGS = 240;

interface LabelledPhotos {
  /** A category the trained model must know, and the serving reference model does not. */
  expects: string;
  photos(): Promise<{ png: Buffer; category: string }[]>;
}

/** Product photos our own code draws: six product kinds in ten colours and four patterns. Any machine has them. */
const rendered: LabelledPhotos = {
  expects: 'lamps',
  async photos() {
    return Promise.all(
      Array.from({ length: LISTINGS }, async (_, i) => {
        const shape = i % SHAPE_COUNT;
        const colour = PRODUCT_COLOURS[Math.floor(i / SHAPE_COUNT) % PRODUCT_COLOURS.length]?.rgb ?? [
          0, 0, 0,
        ];
        const pattern = Math.floor(i / (SHAPE_COUNT * PRODUCT_COLOURS.length)) % PATTERN_COUNT;
        return {
          png: await renderShapeProduct(shape, colour, pattern, i),
          category: SHAPES[shape] as string,
        };
      }),
    );
  },
};

/** Fashion-MNIST (Debian dataset-fashion-mnist) relabelled into a coarser taxonomy. */
const fashionMnist: LabelledPhotos = {
  expects: 'footwear',
  async photos() {
    const images = readFashionMnist('train');
    return Promise.all(
      Array.from({ length: LISTINGS }, async (_, i) => ({
        png: await encodePng(
          images.images.subarray(i * 784, (i + 1) * 784).map((v) => 255 - v),
          28,
          28,
          1,
        ),
        category: COARSE[images.labels[i] as number] as string,
      })),
    );
  },
};

test('labels in, a new version out: trained, gated, published, hot-swapped; a regressing candidate is refused; rollback (rendered products)', async () => {
  await learningLoop(rendered);
});

test('the same learning loop on Fashion-MNIST, in a coarser taxonomy of its photos', async (t) => {
  if (!existsSync(FASHION_MNIST_DIR)) {
    t.skip(`Fashion-MNIST is not at ${FASHION_MNIST_DIR}: install the Debian package dataset-fashion-mnist`);
    return;
  }
  await learningLoop(fashionMnist);
});

async function learningLoop(source: LabelledPhotos): Promise<void> {
  const { home, cleanup } = tempHome();
  const variables = {
    GROKCAT_HOME: home,
    GROKCAT_TRAINER_MIN_NEW_LABELS: String(LISTINGS),
    GROKCAT_TRAINER_EPOCHS: '40',
    GROKCAT_TRAINER_BATCH_SIZE: '64',
    GROKCAT_TRAINER_LEARNING_RATE: '0.02',
    GROKCAT_TRAINER_EVAL_PERCENT: '25',
    GROKCAT_CONSUMER_RETRY_MAX_MS: '300',
  };
  const config = testConfig(variables);
  const log = testLogger();
  const system = await startSystem({ config, log });
  try {
    const { knex } = system.database;
    const photos = await source.photos();
    mkdirSync(path.join(home, 'photos'));
    const listings = photos.map(({ png, category }, i) => {
      const file = path.join(home, 'photos', `${i}.png`);
      writeFileSync(file, png);
      return { id: `L${i}`, file, sha256: createHash('sha256').update(png).digest('hex'), category };
    });
    await knex('listings').insert(listings.map((l) => ({ id: l.id, title: `listing ${l.id}` })));
    await knex('listing_images').insert(
      listings.map((l) => ({
        listing_id: l.id,
        position: 0,
        ref_kind: 'file',
        ref: l.file,
        sha256: l.sha256,
        status: 'ok',
      })),
    );
    const runtime = await createModelRuntime(
      await ensureServingModel(config, knex, log),
      runtimeOptions(config),
      log,
    );
    const watcher = await watchServingModel({
      bus: system.bus,
      codec: openCodec(config),
      runtime,
      config,
      log,
    });
    try {
      assert.equal(runtime.version, 'reference-fmnist-v3');
      const publisher = createEventPublisher({ bus: system.bus, codec: openCodec(config) });
      const labelEvents = listings.map((l) => ({
        topic: 'labels.category',
        key: l.id,
        value: {
          event_id: newEventId(),
          occurred_at: Date.now(),
          listing_id: l.id,
          image_uri: null,
          category: l.category,
          previous_category: null,
          source: 'test',
        },
      }));
      await publisher.publish(labelEvents);
      // A redelivered label changes nothing.
      await publisher.publish(labelEvents.slice(0, 10));

      const registry = createModelRegistry(knex);
      await waitFor(
        'a published training run',
        async () =>
          (await knex('training_runs').whereIn('status', ['published', 'rejected', 'failed'])).length > 0,
        300_000,
      );
      const [run] = await knex('training_runs').orderBy('id');
      assert.equal(run.status, 'published', JSON.stringify(run));
      assert.equal(run.trigger, 'labels');
      assert.equal((await knex('labels')).length, LISTINGS, 'labels stored once each');
      const serving = await registry.serving();
      assert.equal(serving?.version, run.candidate_version);
      assert.ok(serving?.card.categories.labels.includes(source.expects));
      // Six classes from about 180 photos; the reference model knows none of them (top-1 0).
      assert.ok((serving?.metrics.category_top1 ?? 0) > 0.4, `top-1 ${serving?.metrics.category_top1}`);
      assert.ok(serving?.card.categories.calibration, 'the card carries the calibration');
      assert.equal(run.report.gate.compared_with, 'same-rows');
      await waitFor('the runtime to hot-swap', () => runtime.version === serving?.version, 30_000);
      const prediction = await runtime.enrich(photos[0]?.png as Buffer);
      assert.equal(prediction.model_version, serving?.version);

      // A run that diverges (learning rate far too high) must not replace the serving version.
      const diverging = createTrainer({
        config: testConfig({
          ...variables,
          GROKCAT_TRAINER_LEARNING_RATE: '500',
          GROKCAT_TRAINER_EPOCHS: '3',
        }),
        database: system.database,
        publisher,
        log,
      });
      const refused = await diverging.retrain();
      assert.ok(refused);
      assert.equal(refused.decision.pass, false, JSON.stringify(refused.decision));
      assert.ok(refused.decision.regressions.length > 0);
      assert.equal((await registry.get(refused.candidate.version))?.status, 'rejected');
      assert.equal((await registry.serving())?.version, serving?.version, 'the serving version is unchanged');

      // Rollback from the command line, in another process joining the embedded database.
      const rolled = await runCli(
        ['model', 'rollback', 'reference-fmnist-v3', '--json'],
        cleanEnv(variables),
      );
      assert.equal(rolled.code, 0, rolled.stderr);
      assert.equal((await registry.serving())?.version, 'reference-fmnist-v3');
      await waitFor('the runtime to swap back', () => runtime.version === 'reference-fmnist-v3', 30_000);
      const refusedRollback = await runCli(
        ['model', 'rollback', refused.candidate.version, '--json'],
        cleanEnv(variables),
      );
      assert.equal(refusedRollback.code, 2, 'a refused version without --force is a usage error');
      assert.match(refusedRollback.stderr, /refused by the gate/);
    } finally {
      await watcher.stop();
      await runtime.close();
    }
  } finally {
    await system.stop();
    cleanup();
  }
}
