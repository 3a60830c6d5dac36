import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { dHash, hashDistance, pHash } from './perceptual-hash.ts';
import { PRODUCT_COLOURS, renderShapeProduct } from './product-render.ts';

const scene = async (shape: number, colour: number, background: [number, number, number], left: number) =>
  sharp({
    create: {
      width: 320,
      height: 240,
      channels: 3,
      background: { r: background[0], g: background[1], b: background[2] },
    },
  })
    .composite([
      {
        input: await renderShapeProduct(shape, PRODUCT_COLOURS[colour]?.rgb ?? [0, 0, 0], 1, 0),
        left,
        top: 24,
      },
    ])
    .png()
    .toBuffer();

test('perceptual hashes: a resized, recompressed copy is near, another photo is far', async () => {
  const photo = await scene(0, 0, [200, 190, 170], 20);
  const copy = await sharp(photo).resize(200).jpeg({ quality: 40 }).toBuffer();
  const other = await scene(4, 3, [90, 120, 170], 110);
  for (const hash of [pHash, dHash]) {
    const [x, y, z] = await Promise.all([hash(photo), hash(copy), hash(other)]);
    assert.equal(x.length, 16);
    assert.ok(hashDistance(x, y) <= 6, `${hash.name} copy ${hashDistance(x, y)}`);
    assert.ok(hashDistance(x, z) > 16, `${hash.name} other ${hashDistance(x, z)}`);
  }
  assert.equal(hashDistance('ff00', '0f00'), 4);
});
