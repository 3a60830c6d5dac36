import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dense } from '../model/grok/head-weights.ts';
import { gate } from './evaluate-heads.ts';
import { sanityMetrics } from './sanity-metrics.ts';

// Two categories along two axes; a third evaluation label (2) is one training never had.
const train = Float32Array.from([1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9, 0.8, 0.2]);
const trainLabels = Int32Array.from([0, 0, 1, 1, 0]);
const evaluation = Float32Array.from([0.95, 0.05, 0.05, 0.95, 0.5, 0.5]);
const evalLabels = Int32Array.from([0, 1, 2]);
const collapsed: Dense = {
  inputs: 2,
  outputs: 2,
  weight: new Float32Array(4),
  bias: Float32Array.from([1, 0]),
};

test('sanity metrics expose a collapsed head beside the baselines of the same rows', () => {
  const s = sanityMetrics({ head: collapsed, train, trainLabels, evaluation, evalLabels, dims: 2 });
  assert.equal(s.category_classes_predicted, 1, 'a head that always says category 0');
  assert.equal(s.train_category_top1, 0.6);
  assert.equal(s.category_majority_top1, 0.3333);
  assert.equal(s.category_ncm_top1, 0.6667, 'the class means get both known rows right');
});

test('the gate refuses a candidate that does not beat the nearest class mean, unless it is at the ceiling', () => {
  const refused = gate({ category_top1: 0.3, category_ncm_top1: 0.5, category_ceiling: 0.9 }, null, 0.01);
  assert.equal(refused.pass, false);
  assert.deepEqual(refused.below_baseline, [
    { metric: 'category_top1', candidate: 0.3, baseline: 'category_ncm_top1', value: 0.5 },
  ]);
  assert.equal(gate({ category_top1: 0.6, category_ncm_top1: 0.5 }, null, 0.01).pass, true);
  assert.equal(
    gate({ category_top1: 1, category_ncm_top1: 1, category_ceiling: 1 }, null, 0.01).pass,
    true,
    'nothing left to beat',
  );
  const regressed = gate({ category_top1: 0.6, category_ncm_top1: 0.5 }, { category_top1: 0.7 }, 0.01);
  assert.deepEqual([regressed.pass, regressed.regressions.map((r) => r.metric)], [false, ['category_top1']]);
});
