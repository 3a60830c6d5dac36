import { augmentImage } from '../../image/image-augment.ts';
import { type DecodeOptions, decodeImage, prepareRawPixels } from '../../image/image-decoder.ts';
import { PRODUCT_COLOURS, renderSilhouette } from '../../image/product-render.ts';
import type { Logger } from '../../log/logger.ts';
import type { FeatureExtractor } from '../../training/feature-extractor.ts';
import { seededUniform } from '../../training/seeded-random.ts';
import type { FashionMnistSplit } from './fashion-mnist.ts';

const INPUT: Omit<DecodeOptions, 'maxPixels'> = {
  size: 224,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  fit: 'contain',
};

/**
 * Shared features of Fashion-MNIST images as the reference heads learn from them: each image twice,
 * as the grey thumbnail inverted to dark-on-white, and as a catalogue-style render of it in a
 * product colour (every other one re-photographed: crop, mirror, light; image-augment.ts). On real
 * photos the colour renders lift the heads from 17 % to 28 % (docs/model.md); the grey ones keep
 * Fashion-MNIST's own figure comparable.
 */
export async function referenceFeatures(
  split: FashionMnistSplit,
  indices: number[],
  extractor: FeatureExtractor,
  log: Logger,
  seed: number,
): Promise<Float32Array> {
  const per = 3 * INPUT.size * INPUT.size;
  const random = seededUniform(seed);
  const features = new Float32Array(indices.length * 2 * extractor.dims);
  for (let start = 0; start < indices.length; start += 16) {
    const batch = indices.slice(start, start + 16);
    const input = new Float32Array(batch.length * 2 * per);
    const draws = batch.map(() => ({
      colour: PRODUCT_COLOURS[Math.floor(random() * PRODUCT_COLOURS.length)]?.rgb ?? [0, 0, 0],
      augment: random() < 0.5,
    }));
    await Promise.all(
      batch.map(async (index, i) => {
        const pixels = split.images.subarray(index * 784, (index + 1) * 784);
        // Fashion-MNIST is a white garment on black; catalogue photos are dark products on white.
        input.set(
          await prepareRawPixels(
            pixels.map((v) => 255 - v),
            28,
            28,
            1,
            INPUT,
          ),
          i * 2 * per,
        );
        const draw = draws[i] as (typeof draws)[number];
        const render = await renderSilhouette(pixels, 28, 28, draw.colour);
        const photo = draw.augment ? await augmentImage(render, `reference-${seed}-${index}`) : render;
        input.set((await decodeImage(photo, { ...INPUT, maxPixels: 1e7 })).chw, (i * 2 + 1) * per);
      }),
    );
    features.set(await extractor.run(input, batch.length * 2), start * 2 * extractor.dims);
    if (start % 640 === 0)
      log.info({ done: start + batch.length, of: indices.length }, 'extracting Fashion-MNIST features');
  }
  return features;
}

/** Only the grey thumbnails (the Fashion-MNIST test figure, comparable with published ones). */
export async function greyFeatures(
  split: FashionMnistSplit,
  indices: number[],
  extractor: FeatureExtractor,
): Promise<Float32Array> {
  const per = 3 * INPUT.size * INPUT.size;
  const features = new Float32Array(indices.length * extractor.dims);
  for (let start = 0; start < indices.length; start += 32) {
    const batch = indices.slice(start, start + 32);
    const input = new Float32Array(batch.length * per);
    await Promise.all(
      batch.map(async (index, i) => {
        const pixels = split.images.subarray(index * 784, (index + 1) * 784).map((v) => 255 - v);
        input.set(await prepareRawPixels(pixels, 28, 28, 1, INPUT), i * per);
      }),
    );
    features.set(await extractor.run(input, batch.length), start * extractor.dims);
  }
  return features;
}
