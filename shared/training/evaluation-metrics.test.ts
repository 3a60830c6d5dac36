import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  averagePrecision,
  expectedCalibrationError,
  meanAveragePrecision,
  recallAtK,
  retrievalRecallAt1,
  topKAccuracy,
} from './evaluation-metrics.ts';

test('top-k accuracy skips unlabelled rows', () => {
  const scores = Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.2, 0.3, 0.5]);
  const labels = Int32Array.from([1, 1, -1]);
  assert.equal(topKAccuracy(scores, 3, labels, 1), 0.5);
  assert.equal(topKAccuracy(scores, 3, labels, 2), 1);
});

test('average precision by hand: positives at ranks 1 and 3', () => {
  // ranks: 0.9 (pos), 0.8 (neg), 0.4 (pos), 0.1 (neg) -> (1/1 + 2/3) / 2
  assert.ok(Math.abs(averagePrecision([0.4, 0.9, 0.1, 0.8], [1, 1, 0, 0]) - (1 + 2 / 3) / 2) < 1e-12);
  assert.ok(Number.isNaN(averagePrecision([0.3, 0.2], [0, 0])));
});

test('mean average precision ignores labels without positives', () => {
  const scores = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.5, 0.5]);
  const targets = Float32Array.from([1, 0, 0, 1, 0, 0]);
  assert.equal(meanAveragePrecision(scores, targets, 2), 1);
  const wrong = Float32Array.from([0.1, 0.9, 0.8, 0.2, 0.5, 0.5]);
  // label 0: positive ranked 3rd of 3 -> 1/3; label 1: positive ranked 2nd (after 0.9 of row 0? no: 0.9, 0.5, 0.2) -> 1/3
  assert.ok(Math.abs(meanAveragePrecision(wrong, targets, 2) - 1 / 3) < 1e-9);
});

test('recall@k is the share of positives in the top k', () => {
  const scores = Float32Array.from([0.9, 0.8, 0.1, 0.2]);
  const targets = Float32Array.from([1, 0, 1, 1]);
  assert.equal(recallAtK(scores, targets, 4, 1), 1 / 3);
  assert.equal(recallAtK(scores, targets, 4, 3), 2 / 3);
  assert.equal(recallAtK(scores, targets, 4, 4), 1);
});

test('recall@k shares tied places: equal scores get chance, not the label order', () => {
  // 20 labels all scored alike, one positive (the first): 10 places of 20 -> 0.5, not 1.
  const flat = new Float32Array(20);
  const first = Float32Array.from({ length: 20 }, (_, i) => (i === 0 ? 1 : 0));
  assert.equal(recallAtK(flat, first, 20, 10), 0.5);
  // One clear winner, then three tied for the last two places; the positive is among the tied.
  const scores = Float32Array.from([0.9, 0.5, 0.5, 0.5, 0.1]);
  const targets = Float32Array.from([0, 0, 0, 1, 0]);
  assert.ok(Math.abs(recallAtK(scores, targets, 5, 3) - 2 / 3) < 1e-9);
});

test('retrieval recall@1 finds the most similar gallery item', () => {
  const gallery = Float32Array.from([1, 0, 0, 1]);
  const queries = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.4]);
  const recall = retrievalRecallAt1({
    queries,
    queryProducts: ['a', 'b', 'b'],
    gallery,
    galleryProducts: ['a', 'b'],
    dims: 2,
  });
  assert.equal(recall, 2 / 3);
});

test('expected calibration error is zero when confidence matches accuracy', () => {
  assert.equal(expectedCalibrationError([0.75, 0.75, 0.75, 0.75], [true, true, true, false]), 0);
  assert.ok(Math.abs(expectedCalibrationError([0.95, 0.95], [false, false]) - 0.95) < 1e-12);
});
