import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { type ModelCard, parseModelCard } from './grok/model-card.ts';
import { REFERENCE_ASSETS } from './model-store.ts';
import { binaryCode, hammingDistance, postprocess } from './postprocess.ts';

const shipped = parseModelCard(
  JSON.parse(readFileSync(path.join(REFERENCE_ASSETS, 'card.json'), 'utf8')),
  'reference',
);
// The shipped labels without calibration, thresholds at 0.5 and no open set: figures stay readable.
const { open_set: _, ...withoutOpenSet } = shipped;
const { novelty: _novelty, ...outputs } = shipped.outputs;
const card: ModelCard = {
  ...withoutOpenSet,
  outputs,
  categories: { labels: shipped.categories.labels },
  attributes: { ...shipped.attributes, thresholds: shipped.attributes.thresholds.map(() => 0.5) },
  queries: { ...shipped.queries, thresholds: shipped.queries.thresholds.map(() => 0.5) },
};

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
  assert.equal(prediction.known, true, 'a model without an open-set output knows everything it sees');
  assert.equal(prediction.novelty, null);
});

test('open-set answers: over the threshold the photo is unknown, its attributes and queries withheld', () => {
  const openCard: ModelCard = {
    ...card,
    outputs: { ...card.outputs, novelty: 'novelty' },
    open_set: { method: 'mahalanobis', threshold: 2, chosen_on: 'test' },
  };
  const raw = (novelty: number) => ({
    category: Float32Array.from(card.categories.labels, (_, i) => (i === 3 ? 0.9 : 0.01)),
    attributes: new Float32Array(card.attributes.thresholds.length).fill(0.9),
    queries: new Float32Array(card.queries.vocabulary.length).fill(0.9),
    embedding: new Float32Array(card.embedding_dim).fill(0.1),
    novelty,
  });
  const known = postprocess(openCard, raw(1.5));
  assert.equal(known.known, true);
  assert.ok(known.attributes.length > 0 && known.queries.length > 0);
  const unknown = postprocess(openCard, raw(2.5));
  assert.equal(unknown.known, false);
  assert.equal(unknown.novelty, 2.5);
  assert.deepEqual([unknown.attributes, unknown.queries], [[], []]);
  assert.equal(unknown.category.label, card.categories.labels[3], 'the closest guess stays, marked unknown');
  assert.throws(
    () => parseModelCard({ ...openCard, outputs: card.outputs }, 'o.json'),
    /open_set needs outputs.novelty/,
  );
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
