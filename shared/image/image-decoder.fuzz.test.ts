import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import fc from 'fast-check';
import sharp from 'sharp';
import { fuzzParameters, mutations } from '../../test/support/fuzz.ts';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { type DecodeOptions, decodeImage } from './image-decoder.ts';

const OPTIONS: DecodeOptions = {
  size: 64,
  fit: 'contain',
  maxPixels: 4_000_000,
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.25, 0.25],
};

/** The ingest path's promise: a model input, or IMAGE_REFUSED with a reason; nothing else, ever. */
async function decodesOrRefuses(bytes: Uint8Array): Promise<void> {
  try {
    const decoded = await decodeImage(bytes, OPTIONS);
    assert.equal(decoded.chw.length, 3 * 64 * 64);
    assert.ok(decoded.chw.every(Number.isFinite), 'a decoded image has finite inputs');
  } catch (error) {
    assert.ok(error instanceof GrokcatError, `not a GrokcatError: ${error}`);
    assert.equal(error.code, 'IMAGE_REFUSED', error.message);
    assert.ok(error.message.length > 0);
  }
}

let seeds: Uint8Array[] = [];
before(async () => {
  const base = sharp({
    create: { width: 48, height: 32, channels: 3, background: { r: 200, g: 80, b: 40 } },
  });
  seeds = await Promise.all([
    base.clone().png().toBuffer(),
    base.clone().jpeg().toBuffer(),
    base.clone().webp().toBuffer(),
    base.clone().gif().toBuffer(),
    base.clone().tiff().toBuffer(),
    base.clone().avif().toBuffer(),
  ]);
});

test('fuzz: random bytes through image ingest are refused with a reason, never crash', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), decodesOrRefuses), fuzzParameters());
});

test('fuzz: real images of every accepted format, mutated, decode or are refused, never crash', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: 5 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.option(fc.nat()),
      fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }))),
      async (which, flips, cutAt, insertion) => {
        let bytes = seeds[which] as Uint8Array;
        for (const [at, value] of flips) bytes = mutations.flip(bytes, at, value);
        if (insertion) bytes = mutations.insert(bytes, insertion[0], insertion[1]);
        if (cutAt !== null) bytes = mutations.cut(bytes, cutAt);
        await decodesOrRefuses(bytes);
      },
    ),
    fuzzParameters(),
  );
});
