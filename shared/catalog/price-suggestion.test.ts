import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  adjustForCondition,
  type PricedComparable,
  suggestPrice,
  weightedQuantile,
} from './price-suggestion.ts';

const rules = { minProduct: 2, minComparables: 3, minCategory: 5, minSimilarity: 0.5 };
const c = (
  id: string,
  amount: number,
  similarity: number,
  same = false,
  extra: Partial<PricedComparable> = {},
) => ({
  listing_id: id,
  amount_minor: amount,
  similarity,
  currency: 'EUR',
  same_product: same,
  ...extra,
});

test('weighted quantiles', () => {
  const values = [
    { value: 10, weight: 1 },
    { value: 20, weight: 1 },
    { value: 30, weight: 2 },
  ];
  assert.equal(weightedQuantile(values, 0.5), 20);
  assert.equal(weightedQuantile(values, 0.6), 30);
  assert.equal(weightedQuantile(values, 0), 10);
  assert.ok(Number.isNaN(weightedQuantile([], 0.5)));
});

test('the same product first, then look-alikes, then the category, else no suggestion with the reason', () => {
  const product = suggestPrice({
    comparables: [c('a', 5000, 0.9, true), c('b', 5400, 0.8, true), c('n', 9000, 0.9)],
    categoryPrices: [],
    category: 'bag',
    currency: 'EUR',
    rules,
  });
  assert.equal(product.status, 'SUGGESTED');
  assert.equal(product.status === 'SUGGESTED' && product.method, 'product_median');
  assert.deepEqual(
    product.comparables.map((x) => x.listing_id),
    ['a', 'b'],
  );

  const neighbours = suggestPrice({
    comparables: [c('a', 1000, 0.9), c('b', 1200, 0.8), c('c', 5000, 0.55), c('far', 99_999, 0.2)],
    categoryPrices: [],
    category: 'bag',
    currency: 'EUR',
    rules,
  });
  assert.ok(neighbours.status === 'SUGGESTED');
  assert.equal(neighbours.method, 'neighbour_weighted_median');
  assert.equal(neighbours.amount_minor, 1200, 'the close look-alikes outweigh the vague one');
  assert.ok(neighbours.low_minor <= 1200 && neighbours.high_minor >= 1200);
  assert.ok(!neighbours.comparables.some((x) => x.listing_id === 'far'), 'too dissimilar to count');

  const category = suggestPrice({
    comparables: [],
    categoryPrices: [10, 20, 30, 40, 50],
    category: 'bag',
    currency: 'EUR',
    rules,
  });
  assert.ok(
    category.status === 'SUGGESTED' && category.method === 'category_median' && category.amount_minor === 30,
  );
  assert.ok(category.confidence <= 0.25);

  const none = suggestPrice({
    comparables: [c('a', 1, 0.9)],
    categoryPrices: [1, 2],
    category: 'bag',
    currency: 'EUR',
    rules,
  });
  assert.equal(none.status, 'INSUFFICIENT_DATA');
  assert.match(
    none.status === 'INSUFFICIENT_DATA' ? none.reason : '',
    /only 1 comparable.*need 3.*2 in category bag \(need 5\)/,
  );

  const otherCurrency = suggestPrice({
    comparables: [c('a', 1, 0.9, true, { currency: 'USD' }), c('b', 1, 0.9, true, { currency: 'USD' })],
    categoryPrices: [],
    category: 'bag',
    currency: 'EUR',
    rules,
  });
  assert.equal(otherCurrency.status, 'INSUFFICIENT_DATA', 'prices in another currency are not comparables');
});

test('comparables are adjusted to the listing condition with the catalogue own ratios', () => {
  const ratios = new Map([
    ['new', { ratio: 1, listings: 10 }],
    ['used', { ratio: 0.5, listings: 10 }],
    ['for_parts', { ratio: 0.2, listings: 2 }],
  ]);
  const [used, parts, same] = adjustForCondition(
    [
      c('u', 1000, 0.9, true, { condition: 'used' }),
      c('p', 300, 0.9, true, { condition: 'for_parts' }),
      c('n', 2000, 0.9, true, { condition: 'new' }),
    ],
    'new',
    ratios,
  );
  assert.equal(used?.adjusted_minor, 2000);
  assert.equal(parts?.adjusted_minor, undefined, 'a condition seen too rarely is not adjusted');
  assert.equal(same?.adjusted_minor, undefined);
});
