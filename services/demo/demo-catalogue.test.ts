import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { seededUniform } from '../../shared/training/seeded-random.ts';
import { demoProducts, demoSource } from './demo-catalogue.ts';
import { generateMarketplace } from './demo-marketplace.ts';

test('demo photos: --images first, then Fashion-MNIST when installed, else drawn by our code', () => {
  assert.equal(demoSource('/some/dir'), 'images');
  assert.equal(demoSource(undefined, '/nonexistent'), 'rendered');
});

test('a drawn marketplace: duplicates with their own photos and titles, a price model, held-out prices', async () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'grokcat-demo-'));
  try {
    const truth = await generateMarketplace({
      listings: 30,
      source: 'rendered',
      run: 'unit',
      folder,
      seed: 7,
    });
    assert.equal(truth.listings.length, 30);
    const products = new Set(truth.listings.map((l) => l.product));
    assert.ok(products.size < 30, 'some products are listed more than once');
    const ids = new Set(truth.listings.map((l) => l.listing_id));
    assert.equal(ids.size, 30);
    for (const l of truth.listings) {
      assert.ok(l.images.length >= 1 && l.images.length <= 3);
      assert.ok(l.true_price_minor >= 50 && l.true_price_minor % 50 === 0);
    }
    const photos = truth.listings.flatMap((l) => l.images);
    assert.equal(new Set(photos).size, photos.length, 'every listing has photos of its own');
    // Same seed, same marketplace.
    const again = await generateMarketplace({
      listings: 30,
      source: 'rendered',
      run: 'unit',
      folder,
      seed: 7,
    });
    assert.deepEqual(
      again.listings.map((l) => [l.title, l.true_price_minor]),
      truth.listings.map((l) => [l.title, l.true_price_minor]),
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('--images: one product per file, the category from its folder', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'grokcat-images-'));
  try {
    mkdirSync(path.join(dir, 'lamps'));
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    writeFileSync(path.join(dir, 'lamps', 'a.png'), png);
    writeFileSync(path.join(dir, 'lamps', 'notes.txt'), 'not a photo');
    const products = demoProducts(5, 'images', seededUniform(1), { imagesDir: dir });
    assert.equal(products.length, 1);
    assert.equal(products[0]?.category, 'lamps');
    assert.deepEqual(await products[0]?.photo(), png);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
