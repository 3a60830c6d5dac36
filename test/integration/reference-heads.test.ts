import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadHeadWeights } from '../../shared/model/grok/head-weights.ts';
import { attributeLabels, parseModelCard } from '../../shared/model/grok/model-card.ts';
import { REFERENCE_ASSETS } from '../../shared/model/model-store.ts';
import { FASHION_MNIST_DIR } from '../../shared/model/reference/fashion-mnist.ts';
import { trainReferenceHeads } from '../../shared/model/reference/train-reference-heads.ts';
import { runCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome, testLogger } from '../support/temp-home.ts';

test('the shipped reference heads match their card', () => {
  const card = parseModelCard(
    JSON.parse(readFileSync(path.join(REFERENCE_ASSETS, 'card.json'), 'utf8')),
    'reference card',
  );
  const heads = loadHeadWeights(path.join(REFERENCE_ASSETS, 'heads'));
  assert.equal(heads.category.outputs, card.categories.labels.length);
  assert.equal(heads.attributes.outputs, attributeLabels(card).length);
  assert.equal(heads.queries.outputs, card.queries.vocabulary.length);
  assert.equal(heads.embedding.outputs, card.embedding_dim);
  assert.equal(heads.gemP, card.gem_p);
  assert.ok((card.metrics.fashion_mnist_top1 ?? 0) > 0.75, 'the card reports its Fashion-MNIST accuracy');
});

test('grokcat model train-reference trains heads from Fashion-MNIST (a small run)', async (t) => {
  if (!existsSync(FASHION_MNIST_DIR)) {
    t.skip(`Fashion-MNIST is not at ${FASHION_MNIST_DIR}: install the Debian package dataset-fashion-mnist`);
    return;
  }
  const { heads, card } = await trainReferenceHeads({
    perClass: 12,
    devPerClass: 10,
    embeddingPerClass: 10,
    testPerClass: 5,
    epochs: 60,
    log: testLogger(),
  });
  // Each image twice: the grey thumbnail and a colour render.
  assert.equal(card.training.samples, 240);
  assert.equal(heads.novelty?.outputs, 576, 'an open-set layer beside the heads');
  assert.ok((card.open_set?.threshold ?? 0) > 0 && card.outputs.novelty === 'novelty');
  assert.ok(
    (card.metrics.fashion_mnist_unknown_rate ?? 1) < 0.2,
    'test images like the training ones are known',
  );
  assert.ok(card.metrics.category_ncm_top1 !== undefined && card.metrics.train_category_top1 !== undefined);
  assert.equal(heads.category.inputs, 576);
  assert.equal(heads.category.outputs, 10);
  // Ten classes, 12 examples each: clearly better than the 10% of chance, even this small.
  assert.ok((card.metrics.fashion_mnist_top1 ?? 0) > 0.4, `top-1 ${card.metrics.fashion_mnist_top1}`);
  assert.ok(
    card.limitations.length > 50 && card.recognises.length > 50,
    'the card says what it can and cannot recognise',
  );
});

test('grokcat eval --dataset fashion-mnist reports top-1 and top-5 of the serving model', async (t) => {
  if (!existsSync(FASHION_MNIST_DIR)) {
    t.skip(`Fashion-MNIST is not at ${FASHION_MNIST_DIR}: install the Debian package dataset-fashion-mnist`);
    return;
  }
  const { home, cleanup } = tempHome();
  try {
    const result = await runCli(
      ['eval', '--dataset', 'fashion-mnist', '--limit', '300', '--json'],
      cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' }),
    );
    assert.equal(result.code, 0, result.stderr);
    const json = result.json as {
      images: number;
      top1: number;
      top5: number;
      model_version: string;
      per_class_top1: Record<string, number>;
    };
    assert.equal(json.images, 300);
    assert.equal(json.model_version, 'reference-fmnist-v3');
    assert.ok(json.top1 > 0.6 && json.top5 > json.top1, `top-1 ${json.top1}, top-5 ${json.top5}`);
    assert.equal(Object.keys(json.per_class_top1).length, 10);
  } finally {
    cleanup();
  }
});

test('grokcat train --dataset fashion-mnist writes a candidate version that grokcat eval serves; features are cached', async (t) => {
  if (!existsSync(FASHION_MNIST_DIR)) {
    t.skip(`Fashion-MNIST is not at ${FASHION_MNIST_DIR}: install the Debian package dataset-fashion-mnist`);
    return;
  }
  const { home, cleanup } = tempHome();
  const env = cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' });
  try {
    const trained = await runCli(
      [
        'train',
        '--dataset',
        'fashion-mnist',
        '--per-class',
        '20',
        '--epochs',
        '30',
        '--batch-size',
        '50',
        '--learning-rate',
        '0.05',
        '--eval-limit',
        '1000',
        '--json',
      ],
      env,
    );
    assert.equal(trained.code, 0, trained.stderr);
    const json = trained.json as {
      version: string;
      train_rows: number;
      eval_rows: number;
      metrics: { category_top1: number; attribute_map: number };
      gate: { compared_with: string };
    };
    assert.equal(json.train_rows, 200);
    assert.equal(json.eval_rows, 1000);
    assert.ok(json.metrics.category_top1 > 0.5, `top-1 ${json.metrics.category_top1} on 1,000 test images`);
    assert.equal(json.gate.compared_with, 'same-rows');
    const evaluated = await runCli(
      ['eval', '--dataset', 'fashion-mnist', '--model', json.version, '--limit', '200', '--json'],
      env,
    );
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.equal((evaluated.json as { model_version: string }).model_version, json.version);
    const check = await runCli(['db', 'check', '--json'], env);
    assert.equal(check.code, 0, check.stderr);
  } finally {
    cleanup();
  }
});
