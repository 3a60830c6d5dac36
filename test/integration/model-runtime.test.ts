import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { isGrokcatError } from '../../shared/errors/error-catalogue.ts';
import { renderSilhouette } from '../../shared/image/product-render.ts';
import { exportGrokModel } from '../../shared/model/grok/export-grok-model.ts';
import { loadHeadWeights } from '../../shared/model/grok/head-weights.ts';
import { createModelRuntime, type ModelRuntime } from '../../shared/model/model-runtime.ts';
import {
  ensureModel,
  type ModelFiles,
  REFERENCE_ASSETS,
  readModelFolder,
} from '../../shared/model/model-store.ts';
import { FASHION_MNIST_DIR, readFashionMnist } from '../../shared/model/reference/fashion-mnist.ts';
import { runCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome, testLogger } from '../support/temp-home.ts';

const { home, cleanup } = tempHome();
const options = {
  executionProviders: ['cpu' as const],
  intraOpThreads: 0,
  interOpThreads: 1,
  maxBatch: 8,
  maxWaitMs: 5,
  maxPixels: 4_000_000,
};
const photo = (colour: { r: number; g: number; b: number }, width = 300, height = 200) =>
  sharp({ create: { width, height, channels: 3, background: colour } })
    .composite([
      {
        input: Buffer.from(
          `<svg width="${width}" height="${height}"><circle cx="150" cy="100" r="60" fill="black"/></svg>`,
        ),
      },
    ])
    .jpeg()
    .toBuffer();

describe('the unified model and its runtime', () => {
  let files: ModelFiles;
  let runtime: ModelRuntime;
  before(async () => {
    files = await ensureModel({ home, model: { path: null } as never }, testLogger());
    runtime = await createModelRuntime(files, options, testLogger());
  });
  after(async () => {
    await runtime?.close();
    cleanup();
  });

  test('one forward pass gives category, attributes, queries, an L2-normalised embedding and its binary code', async () => {
    const prediction = await runtime.enrich(await photo({ r: 240, g: 240, b: 240 }));
    assert.equal(prediction.model_version, 'reference-fmnist-v3');
    assert.ok(files.card.categories.labels.includes(prediction.category.label));
    const total = prediction.top_categories.reduce((sum, c) => sum + c.confidence, 0);
    assert.ok(total > 0.5 && total <= 1.0001, 'top categories come from a softmax');
    assert.equal(prediction.embedding.length, 256);
    assert.ok(Math.abs(Math.hypot(...prediction.embedding) - 1) < 1e-4, 'the embedding is L2-normalised');
    assert.match(prediction.binary_code, /^[0-9a-f]{64}$/);
  });

  test('open-set answers: a garment like the training images is known, a grocery-like photo is not', async (t) => {
    assert.equal(files.card.outputs.novelty, 'novelty');
    const strange = await runtime.enrich(await photo({ r: 40, g: 160, b: 60 }));
    assert.equal(strange.known, false, `novelty ${strange.novelty} over ${files.card.open_set?.threshold}`);
    assert.deepEqual([strange.attributes, strange.queries], [[], []], 'withheld for an unknown photo');
    if (!existsSync(FASHION_MNIST_DIR)) {
      t.skip(
        `Fashion-MNIST is not at ${FASHION_MNIST_DIR}: install the Debian package dataset-fashion-mnist`,
      );
      return;
    }
    const test = readFashionMnist('t10k');
    const answers = await Promise.all(
      [0, 1, 2, 3, 4, 5, 6, 7].map(async (i) =>
        runtime.enrich(
          await renderSilhouette(test.images.subarray(i * 784, (i + 1) * 784), 28, 28, [28, 46, 112]),
        ),
      ),
    );
    assert.ok(
      answers.filter((a) => a.known).length >= 6,
      `renders like the training ones are known: ${answers.map((a) => a.novelty).join(', ')}`,
    );
  });

  test('concurrent requests share batches, and each gets its own result', async () => {
    const before = runtime.stats();
    const images = await Promise.all(
      [0, 60, 120, 180, 240].flatMap((v) => [
        photo({ r: v, g: 255 - v, b: 128 }),
        photo({ r: v, g: v, b: v }),
      ]),
    );
    const results = await Promise.all(images.map((bytes) => runtime.enrich(bytes)));
    const after = runtime.stats();
    assert.equal(after.images - before.images, 10);
    assert.ok(
      after.batches - before.batches < 10,
      `10 requests ran in ${after.batches - before.batches} batches`,
    );
    assert.ok(after.largestBatch > 1);
    const alone = await runtime.enrich(images[3] as Buffer);
    assert.deepEqual(
      alone.embedding.map((v) => v.toFixed(4)),
      results[3]?.embedding.map((v) => v.toFixed(4)),
      'batching changes no result',
    );
  });

  test('refuses broken, oversized and unsupported images with the reason', async () => {
    const refused = async (bytes: Uint8Array, reason: RegExp) =>
      assert.rejects(
        runtime.enrich(bytes),
        (error) => isGrokcatError(error, 'IMAGE_REFUSED') && reason.test(error.message),
      );
    await refused(new Uint8Array(), /empty/);
    await refused(Buffer.from('definitely not an image'), /not a readable image/);
    const jpeg = await photo({ r: 1, g: 2, b: 3 });
    await refused(jpeg.subarray(0, 200), /not a readable image|does not decode/);
    await refused(
      await sharp({ create: { width: 2500, height: 2000, channels: 3, background: 'white' } })
        .png()
        .toBuffer(),
      /over the limit/,
    );
    await refused(
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'),
      /format svg is not accepted/,
    );
  });

  test('hot-swaps to another model version without failing requests in flight', async () => {
    const heads = loadHeadWeights(path.join(REFERENCE_ASSETS, 'heads'));
    const other = path.join(home, 'other-model');
    mkdirSync(other);
    const exported = exportGrokModel({
      trunk: 'mobilenet_v2',
      cut: files.card.trunk.cut,
      heads: { ...heads, gemP: 4 },
      metadata: {},
    });
    writeFileSync(path.join(other, 'model.onnx'), exported.bytes);
    cpSync(files.onnxPath.replace('model.onnx', 'card.json'), path.join(other, 'card.json'));
    const card = JSON.parse((await import('node:fs')).readFileSync(path.join(other, 'card.json'), 'utf8'));
    writeFileSync(path.join(other, 'card.json'), JSON.stringify({ ...card, version: 'other-v2', gem_p: 4 }));
    const bytes = await photo({ r: 200, g: 100, b: 50 });
    const inFlight = Array.from({ length: 12 }, () => runtime.enrich(bytes));
    await runtime.swap(readModelFolder(other));
    const after = Array.from({ length: 4 }, () => runtime.enrich(bytes));
    const done = await Promise.all([...inFlight, ...after]);
    assert.equal(done.length, 16, 'no request failed');
    assert.ok(
      done.slice(12).every((p) => p.model_version === 'other-v2'),
      'new requests use the new version',
    );
    assert.equal(runtime.version, 'other-v2');
  });

  test('grokcat enrich prints predictions per image and refuses bad files without stopping', async () => {
    const good = path.join(home, 'good.jpg');
    writeFileSync(good, await photo({ r: 250, g: 250, b: 250 }));
    const bad = path.join(home, 'bad.jpg');
    writeFileSync(bad, 'not a jpeg');
    const result = await runCli(
      ['enrich', good, bad, '--json'],
      cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' }),
    );
    assert.equal(result.code, 1, 'a refused image makes the exit status non-zero');
    const json = result.json as {
      model_version: string;
      results: { image: string; ok: boolean; category?: { label: string }; error?: { code: string } }[];
    };
    assert.equal(json.model_version, 'reference-fmnist-v3');
    assert.equal(json.results[0]?.ok, true);
    assert.ok(json.results[0]?.category?.label);
    assert.deepEqual(json.results[1]?.error?.code, 'IMAGE_REFUSED');

    // Any folder that meets the contract can be served instead (here: the one the swap test built).
    const other = await runCli(
      ['enrich', good, '--json'],
      cleanEnv({
        GROKCAT_HOME: home,
        GROKCAT_LOG_LEVEL: 'warn',
        GROKCAT_MODEL: path.join(home, 'other-model'),
      }),
    );
    assert.equal(other.code, 0, other.stderr);
    assert.equal((other.json as { model_version: string }).model_version, 'other-v2');
  });
});
