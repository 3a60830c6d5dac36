import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calibrateThreshold, pairwiseScores, perListingScores } from './match-metrics.ts';
import { createUnionFind } from './union-find.ts';

const map = (entries: [string, string][]) => new Map(entries);

test('pairwise and per-listing (Shopee) scores of a clustering', () => {
  const truth = map([
    ['a', 'P'],
    ['b', 'P'],
    ['c', 'P'],
    ['d', 'Q'],
  ]);
  assert.deepEqual(pairwiseScores(truth, truth), { precision: 1, recall: 1, f1: 1 });
  // a+b together, c alone, d wrongly with them? No: d alone. 1 of 3 true pairs found, none wrong.
  const split = map([
    ['a', '1'],
    ['b', '1'],
    ['c', '2'],
    ['d', '3'],
  ]);
  assert.deepEqual(pairwiseScores(truth, split), { precision: 1, recall: 0.3333, f1: 0.5 });
  // Shopee: a and b each find 2 of 3 (F1 0.8), c finds 1 of 3 (F1 0.5), d is right (F1 1).
  const shopee = perListingScores(truth, split);
  assert.equal(shopee.precision, 1);
  assert.equal(shopee.f1, Number(((0.8 + 0.8 + 0.5 + 1) / 4).toFixed(4)));
  const lumped = map([
    ['a', '1'],
    ['b', '1'],
    ['c', '1'],
    ['d', '1'],
  ]);
  assert.deepEqual(pairwiseScores(truth, lumped), { precision: 0.5, recall: 1, f1: 0.6667 });
});

test('the threshold calibrated from labelled pairs separates them best, between tied scores never', () => {
  const labelled = [
    { score: 0.95, same: true },
    { score: 0.9, same: true },
    { score: 0.8, same: true },
    { score: 0.7, same: false },
    { score: 0.6, same: false },
  ];
  assert.deepEqual(calibrateThreshold(labelled), { threshold: 0.75, f1: 1, pairs: 5 });
  assert.equal(calibrateThreshold(labelled.filter((l) => l.same)), null);
  // Two pairs tied at 0.8, one same and one not: a threshold takes both or neither.
  const tied = calibrateThreshold([
    { score: 0.9, same: true },
    { score: 0.8, same: true },
    { score: 0.8, same: false },
  ]);
  assert.deepEqual(tied, { threshold: 0.8, f1: 0.8, pairs: 3 });
});

test('union-find: transitive matches become one cluster', () => {
  const sets = createUnionFind<string>();
  sets.union('a', 'b');
  sets.union('c', 'd');
  sets.union('b', 'c');
  sets.find('e');
  assert.equal(sets.find('a'), sets.find('d'));
  assert.notEqual(sets.find('a'), sets.find('e'));
  assert.deepEqual(
    sets
      .clusters()
      .map((c) => c.length)
      .sort(),
    [1, 4],
  );
});
