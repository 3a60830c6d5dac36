import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LabelledDataset, LabelledImage } from './labelled-dataset.ts';
import { planRows } from './training-rows.ts';

const image = (key: string, product: string, split: 'train' | 'eval' = 'eval'): LabelledImage => ({
  key,
  source: { kind: 'file', path: `/x/${key}.jpg` },
  split,
  category: 'c',
  attributes: [],
  queries: [],
  product,
  iconic: false,
});
const dataset = (images: LabelledImage[]): LabelledDataset => ({
  name: 't',
  images,
  categories: ['c'],
  attributeGroups: [],
  queries: [],
  description: '',
});

test('a byte-identical copy of the gallery image is never a retrieval query', () => {
  // Product p: one image listed twice (same bytes) and one real second photo; q: only copies.
  const plan = planRows(
    dataset([image('a', 'p'), image('a', 'p'), image('b', 'p'), image('c', 'q'), image('c', 'q')]),
    false,
  );
  assert.equal(plan.retrieval, 'photos');
  assert.deepEqual(
    plan.queries.map((row) => plan.rows[row]?.key),
    ['b'],
  );
});

test('when every product has only copies of one photo, queries are augmented views', () => {
  const plan = planRows(dataset([image('a', 'p'), image('a', 'p'), image('c', 'q')]), false);
  assert.equal(plan.retrieval, 'views');
  assert.equal(plan.queries.length, 2);
  assert.ok(plan.queries.every((row) => plan.rows[row]?.view === 'eval-view'));
});
