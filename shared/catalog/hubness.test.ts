import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hubScore, rankProducts, type TagCandidate } from './hubness.ts';

test('a hub score is the mean of the k highest similarities, and unknown while fewer than k are known', () => {
  assert.equal(hubScore([0.1, 0.9, 0.5, 0.7], 2), 0.8);
  assert.equal(hubScore([0.9], 2), null);
  assert.equal(hubScore([], 0), null);
});

test('a product that resembles every page photo ranks below the one this photo resembles more than usual', () => {
  const candidates: TagCandidate[] = [
    { product_id: 1, listing_id: 'hub', similarity: 0.8, hub: 0.79 },
    { product_id: 2, listing_id: 'sofa', similarity: 0.7, hub: 0.5 },
    { product_id: 2, listing_id: 'sofa-2', similarity: 0.72, hub: 0.7 },
  ];
  const { ranked, tagged } = rankProducts(candidates, 0.6);
  assert.deepEqual(
    ranked.map((p) => p.product_id),
    [2, 1],
  );
  // The product keeps its best raw similarity and the listing that gave its best corrected score.
  assert.equal(ranked[0]?.score, 0.72);
  assert.equal(ranked[0]?.listing_id, 'sofa');
  assert.ok(Math.abs((ranked[0]?.corrected ?? 0) - 0.2) < 1e-9);
  assert.deepEqual(
    tagged.map((p) => p.product_id),
    [2, 1],
    'both are close enough and resemble this photo more than usual',
  );
  const usual = rankProducts([{ product_id: 1, listing_id: 'hub', similarity: 0.8, hub: 0.85 }], 0.6);
  assert.equal(usual.tagged.length, 0, 'a photo that resembles a product less than usual does not tag it');
  assert.equal(usual.ranked.length, 1, 'it is still ranked, for look-ups and evaluation');
});

test('without a pool, products rank by similarity and the threshold alone decides the tags', () => {
  const { ranked, tagged } = rankProducts(
    [
      { product_id: 1, listing_id: 'a', similarity: 0.5, hub: null },
      { product_id: 2, listing_id: 'b', similarity: 0.9, hub: null },
      { product_id: 1, listing_id: 'c', similarity: 0.65, hub: null },
    ],
    0.6,
  );
  assert.deepEqual(
    ranked.map((p) => [p.product_id, p.score, p.listing_id]),
    [
      [2, 0.9, 'b'],
      [1, 0.65, 'c'],
    ],
  );
  assert.deepEqual(
    tagged.map((p) => p.product_id),
    [2, 1],
  );
  assert.equal(
    rankProducts([{ product_id: 3, listing_id: null, similarity: 0.55, hub: null }], 0.6).tagged.length,
    0,
  );
});
