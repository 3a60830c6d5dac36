import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseModelCard } from './grok/model-card.ts';
import { REFERENCE_ASSETS } from './model-store.ts';
import { binaryCode, hammingDistance, postprocess } from './postprocess.ts';

const card = parseModelCard(
  JSON.parse(readFileSync(path.join(REFERENCE_ASSETS, 'card.json'), 'utf8')),
  'reference',
);

test('the binary code keeps one sign bit per embedding dimension, most significant bit first', () => {
  const embedding = new Float32Array(16);
  embedding[0] = 0.5;
  embedding[9] = 0.1;
  embedding[15] = -0.3;
  assert.equal(binaryCode(embedding), '8040');
  assert.equal(binaryCode(new Float32Array(256).fill(1)).length, 64, '256 dimensions make a 256-bit code');
  assert.equal(hammingDistance('8040', '8041'), 1);
  assert.equal(hammingDistance('ff00', '00ff'), 16);
});

test('postprocess ranks categories and keeps attributes and queries over their thresholds', () => {
  const category = new Float32Array(card.categories.labels.length).fill(0.01);
  category[3] = 0.9;
  category[4] = 0.02;
  const attributes = new Float32Array(card.attributes.thresholds.length).fill(0.1);
  attributes[2] = 0.8;
  const queries = new Float32Array(card.queries.vocabulary.length).fill(0.2);
  queries[6] = 0.7;
  queries[0] = 0.55;
  const embedding = new Float32Array(card.embedding_dim).fill(-0.1);
  const prediction = postprocess(card, { category, attributes, queries, embedding });
  assert.deepEqual(prediction.category, { label: card.categories.labels[3], confidence: 0.9 });
  assert.equal(prediction.top_categories.length, 5);
  assert.equal(prediction.top_categories[1]?.label, card.categories.labels[4]);
  assert.deepEqual(prediction.attributes, [{ group: 'body_zone', label: 'full_body', confidence: 0.8 }]);
  assert.deepEqual(
    prediction.queries.map((q) => q.query),
    [card.queries.vocabulary[6], card.queries.vocabulary[0]],
  );
  assert.equal(prediction.binary_code, '0'.repeat(64));
});

test('a model card that does not add up is refused, naming what is wrong', () => {
  const broken = {
    ...card,
    attributes: { ...card.attributes, thresholds: [0.5] },
    input: { ...card.input, layout: 'NHWC' },
  };
  assert.throws(() => parseModelCard(broken, 'broken.json'), /broken.json is not valid: input.layout/);
  assert.throws(
    () => parseModelCard({ ...card, attributes: { ...card.attributes, thresholds: [0.5] } }, 'b.json'),
    /thresholds has 1 entries for 7 labels/,
  );
});
