import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SearchItem, searchScores } from './search-eval.ts';

const unit = (angle: number) => Float32Array.from([Math.cos(angle), Math.sin(angle)]);

test('visual search among listings: same-product and same-category precision against their chance', () => {
  // Two categories of two products, three photos each, products at distinct angles.
  const products = [
    { product: 'a', category: 'x', angle: 0 },
    { product: 'b', category: 'x', angle: 0.3 },
    { product: 'c', category: 'y', angle: 1.5 },
    { product: 'd', category: 'y', angle: 1.8 },
  ];
  const items: SearchItem[] = products.flatMap((p) =>
    [0, 1, 2].map((k) => ({ product: p.product, category: p.category, embedding: unit(p.angle + k * 0.01) })),
  );
  const r = searchScores(items, items, 2);
  assert.equal(r.queries, 12);
  assert.equal(r.catalogue, 12);
  assert.equal(r.precision_at_k_product, 1, "the two nearest other photos are the product's own two");
  assert.equal(r.recall_at_1_product, 1);
  assert.equal(r.recall_at_k_product, 1);
  assert.equal(r.precision_at_k_category, 1);
  // A query is never its own neighbour: 2 of the 11 others are its product, 5 its category.
  assert.equal(r.chance_product, Number((2 / 11).toFixed(4)));
  assert.equal(r.chance_category, Number((5 / 11).toFixed(4)));
  assert.equal(r.products_ranked, 4);
});

test('visual search against a catalogue of one image per product, and a hub that matches everything', () => {
  // Four products along orthogonal axes, each photo mostly its own noise axis; the catalogue image
  // of each product is nearer its photos (0.5) than they are to one another.
  const dims = 4 + 16;
  const photo = (p: number, k: number, weight: number) => {
    const e = new Float32Array(dims);
    e[p] = weight;
    e[4 + p * 4 + k] = Math.sqrt(1 - weight * weight);
    return e;
  };
  const names = ['a', 'b', 'c', 'd'];
  const queries: SearchItem[] = names.flatMap((product, p) =>
    [0, 1, 2].map((k) => ({ product, category: p < 2 ? 'x' : 'y', embedding: photo(p, k, 0.5) })),
  );
  const catalogue: SearchItem[] = names.map((product, p) => ({
    product,
    category: p < 2 ? 'x' : 'y',
    embedding: photo(p, 3, 1),
  }));
  const r = searchScores(queries, catalogue, 2);
  assert.equal(r.catalogue, 4);
  assert.equal(r.recall_at_1_product, 1);
  assert.equal(r.precision_at_k_product, 0.5, 'one catalogue image per product: at most 1 of 2');
  assert.equal(r.chance_product, 0.25);

  // A catalogue image at the centre of all products (cosine 0.25 with every photo, more than the
  // 0 of other products' images): second in every list.
  const centre = new Float32Array(dims).fill(0.5, 0, 4);
  const hubbed = searchScores(
    queries,
    [...catalogue, { product: 'hub', category: 'z', embedding: centre }],
    2,
  );
  assert.equal(hubbed.top_product_share, 0.5, 'the hub holds half of all places');
  assert.equal(hubbed.products_ranked, 5);
  assert.equal(hubbed.recall_at_1_product, 1);
});
