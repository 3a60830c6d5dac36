import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fusedSimilarity, titleSimilarity, titleTrigrams } from './title-similarity.ts';

test('titles: order, case, accents and a typo barely matter; other products differ', () => {
  assert.equal(titleSimilarity('Nike Air Max 90 white', 'white nike AIR max 90'), 1);
  assert.ok(titleSimilarity('Crème brûlée bowl', 'creme brulee bowl') > 0.99);
  const typo = titleSimilarity('Norrvik Alma red tote bag', 'Norrvik Alma red tote bg');
  const other = titleSimilarity('Norrvik Alma red tote bag', 'Kinto navy mug');
  assert.ok(typo > 0.8, `typo ${typo}`);
  assert.ok(other < 0.2, `other ${other}`);
  assert.equal(titleSimilarity('', 'anything'), 0);
  assert.equal(titleTrigrams('ab').size, 2); // " ab", "ab "
});

test('fused similarity weighs title against image', () => {
  assert.equal(fusedSimilarity(0.8, 0.4, 0), 0.8);
  assert.equal(fusedSimilarity(0.8, 0.4, 1), 0.4);
  assert.ok(Math.abs(fusedSimilarity(0.8, 0.4, 0.25) - 0.7) < 1e-12);
});

test('remembered trigrams give the scores of fresh ones, also past the bound of remembered titles', () => {
  const fresh = (a: string, b: string) => titleSimilarity(titleTrigrams(a), titleTrigrams(b));
  const pairs: [string, string][] = [
    ['Norrvik Alma red tote bag', 'Norrvik Alma red tote bg'],
    ['Kinto navy mug', 'Norrvik Alma red tote bag'],
  ];
  for (const [a, b] of pairs) assert.equal(titleSimilarity(a, b), fresh(a, b));
  for (let i = 0; i < 25_000; i++) titleSimilarity(`listing ${i}`, 'Kinto navy mug');
  for (const [a, b] of pairs) {
    assert.equal(titleSimilarity(a, b), fresh(a, b));
    assert.equal(titleSimilarity(b, a), fresh(a, b));
  }
  assert.ok(Math.abs(titleSimilarity('listing 24999', 'listing 24999') - 1) < 1e-12);
});
