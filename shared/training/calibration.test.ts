import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyIsotonic, fitIsotonic, thresholdForPrecision } from './calibration.ts';

test('isotonic regression pools adjacent violators (hand-computed)', () => {
  // outcomes by score: 0, 1, 0, 1 -> blocks [0], [1, 0] pooled to 0.5, [1]
  const map = fitIsotonic([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1]);
  assert.deepEqual(map.y, [0, 0.5, 1]);
  assert.deepEqual(map.x, [0.1, 0.25, 0.4]);
  assert.equal(applyIsotonic(map, 0.05), 0);
  assert.equal(applyIsotonic(map, 0.25), 0.5);
  assert.ok(Math.abs(applyIsotonic(map, 0.325) - 0.75) < 1e-9);
  assert.equal(applyIsotonic(map, 0.9), 1);
  assert.equal(applyIsotonic(undefined, 0.42), 0.42);
});

test('the isotonic fit is non-decreasing and keeps the mean', () => {
  let state = 11;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const scores = Array.from({ length: 500 }, random);
  const outcomes: number[] = scores.map((s) => (random() < s * s ? 1 : 0));
  const map = fitIsotonic(scores, outcomes);
  for (let i = 1; i < map.y.length; i++) assert.ok((map.y[i] as number) >= (map.y[i - 1] as number));
  const mean = outcomes.reduce((a, b) => a + b, 0) / outcomes.length;
  const calibratedMean = scores.map((s) => applyIsotonic(map, s)).reduce((a, b) => a + b, 0) / scores.length;
  assert.ok(Math.abs(calibratedMean - mean) < 0.03, `${calibratedMean} vs ${mean}`);
});

test('threshold for a target precision', () => {
  const scores = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5];
  const positives = [1, 1, 1, 0, 1, 0];
  // precision at cut 0.8: 3/3; at 0.6: 4/5 = 0.8; at 0.5: 4/6
  assert.equal(thresholdForPrecision(scores, positives, 0.8), 0.6);
  assert.equal(thresholdForPrecision(scores, positives, 0.9), 0.8);
  assert.equal(thresholdForPrecision(scores, positives, 0.9, { minSupport: 4 }), 1);
  assert.equal(thresholdForPrecision(scores, [0, 0, 0, 0, 0, 0], 0.9), 0.5);
  // a tie is never split
  assert.equal(thresholdForPrecision([0.9, 0.9, 0.1], [1, 0, 0], 0.9, { minSupport: 1 }), 1);
});
