import assert from 'node:assert/strict';
import { test } from 'node:test';
import { productAgreement } from './canonicalize.ts';

const settings = { threshold: 0.6, textWeight: 0 };

test("agreement is the mean score over a product's members, not its best one", () => {
  const members = [
    // Product 1: one look-alike listing, the rest unlike the new listing.
    { product_id: 1, listing_id: 'a', title: 'x', similarity: 0.95 },
    { product_id: 1, listing_id: 'b', title: 'x', similarity: 0.3 },
    { product_id: 1, listing_id: 'c', title: 'x', similarity: 0.25 },
    // Product 2: every member moderately like it.
    { product_id: 2, listing_id: 'd', title: 'x', similarity: 0.7 },
    { product_id: 2, listing_id: 'e', title: 'x', similarity: 0.68 },
  ];
  const agreement = productAgreement('t', members, settings);
  assert.ok(Math.abs((agreement.get(1) as number) - 0.5) < 1e-9);
  assert.ok(Math.abs((agreement.get(2) as number) - 0.69) < 1e-9);
  assert.ok((agreement.get(1) as number) < settings.threshold, 'the look-alike does not carry product 1');
  assert.ok((agreement.get(2) as number) >= settings.threshold);
});

test('titles count in the agreement with their weight', () => {
  const members = [{ product_id: 3, listing_id: 'a', title: 'red wool scarf', similarity: 0.5 }];
  const image = productAgreement('red wool scarf', members, {
    threshold: 0.6,
    textWeight: 0,
  }).get(3) as number;
  const fused = productAgreement('red wool scarf', members, {
    threshold: 0.6,
    textWeight: 0.5,
  }).get(3) as number;
  assert.ok(Math.abs(image - 0.5) < 1e-9);
  assert.ok(fused > image, `same title lifts the agreement (${fused} > ${image})`);
});
