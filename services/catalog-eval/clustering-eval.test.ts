import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EvalItem, evaluateMethod } from './clustering-eval.ts';
import { groceryListings } from './dataset-eval.ts';

/**
 * Per half, four products of four listings k = 0..3: within a product (0, 1) and (2, 3) score 0.9,
 * (1, 2) 0.7 and the rest 0.65; across products 0.3, except one bridge pair per neighbouring pair of
 * products (listing 3 of one, listing 0 of the next) at 0.8. Single linkage must go down to 0.7 to
 * keep a product whole, and the bridges then chain the products together.
 */
function chainedProducts() {
  const items: EvalItem[] = [];
  for (const split of ['calibration', 'test'] as const)
    for (let product = 0; product < 4; product++)
      for (let k = 0; k < 4; k++)
        items.push({ id: `${split}-${product}-${k}`, truth: `${split}-${product}`, split });
  const bridge = (a: EvalItem, b: EvalItem) => {
    const [pa, ka] = a.id.split('-').slice(1).map(Number) as [number, number];
    const [pb, kb] = b.id.split('-').slice(1).map(Number) as [number, number];
    return (pb === pa + 1 && ka === 3 && kb === 0) || (pa === pb + 1 && kb === 3 && ka === 0);
  };
  const scorer = (i: number, j: number) => {
    const [a, b] = [items[i] as EvalItem, items[j] as EvalItem];
    if (a.truth === b.truth) {
      const [ka, kb] = [Number(a.id.split('-')[2]), Number(b.id.split('-')[2])].sort();
      if ((ka === 0 && kb === 1) || (ka === 2 && kb === 3)) return 0.9;
      return ka === 1 && kb === 2 ? 0.7 : 0.65;
    }
    return bridge(a, b) ? 0.8 : 0.3;
  };
  return { items, scorer };
}

test('average linkage keeps chained products apart; single linkage merges them', () => {
  const { items, scorer } = chainedProducts();
  const average = evaluateMethod(items, scorer);
  const single = evaluateMethod(items, scorer, 'single');
  assert.equal(average.linkage, 'average');
  assert.equal(single.linkage, 'single');
  assert.equal(average.pairwise.f1, 1, JSON.stringify(average));
  assert.ok(single.pairwise.f1 < 0.6, `single linkage F1 ${single.pairwise.f1}`);
});

test('grocery listings: dev calibrates, or every other test product when the model trained on dev', () => {
  const rows = ['dev', 'test'].flatMap((split) =>
    ['1', '2', '3', '4'].flatMap((product) =>
      ['natural', 'natural', 'iconic'].map((image_type) => ({
        split,
        product_id: `${split}${product}`,
        image_type,
      })),
    ),
  );
  const dev = groceryListings(rows, 'dev');
  assert.equal(dev.length, 16, 'natural photos only');
  assert.ok(dev.every((r) => (r.split === 'dev') === (r.half === 'calibration')));
  const half = groceryListings(rows, 'test-half');
  assert.equal(half.length, 8, 'the dev products are left out');
  const products = (h: string) => new Set(half.filter((r) => r.half === h).map((r) => r.product_id));
  assert.deepEqual([...products('calibration')], ['test1', 'test3']);
  assert.deepEqual([...products('test')], ['test2', 'test4']);
});
