import { augmentImage } from '../../image/image-augment.ts';
import { type DecodeOptions, decodeImage } from '../../image/image-decoder.ts';
import { PRODUCT_COLOURS, renderSilhouette } from '../../image/product-render.ts';
import type { Logger } from '../../log/logger.ts';
import type { FeatureExtractor } from '../../training/feature-extractor.ts';
import { learnedWhitening } from '../../training/learned-whitening.ts';
import { seededUniform } from '../../training/seeded-random.ts';
import type { Dense } from '../grok/head-weights.ts';
import type { FashionMnistSplit } from './fashion-mnist.ts';

const INPUT: DecodeOptions = { size: 224, mean: [0, 0, 0], std: [1, 1, 1], fit: 'contain', maxPixels: 1e7 };

/**
 * The reference embedding, learned without product labels: every training image is a "product" in
 * a random colour, photographed twice (the render and a second seller's photo of it: crop, mirror,
 * rotation, light, recompression; image-augment.ts), and the learned whitening (Radenovic et al.)
 * keeps the directions that separate products and shrinks those in which two photos of one product
 * differ. A random projection of the trunk's (all-positive) features made every pair of photos
 * look alike (cosine 0.97 for different products), useless for duplicates.
 */
export async function learnReferenceEmbedding(args: {
  split: FashionMnistSplit;
  indices: number[];
  extractor: FeatureExtractor;
  outputs: number;
  log: Logger;
  shrinkage?: number;
}): Promise<Dense> {
  const { split, indices, extractor } = args;
  const per = 3 * INPUT.size * INPUT.size;
  const random = seededUniform(2026);
  const features = new Float32Array(indices.length * 2 * extractor.dims);
  for (let start = 0; start < indices.length; start += 16) {
    const batch = indices.slice(start, start + 16);
    const input = new Float32Array(batch.length * 2 * per);
    const colours = batch.map(() => PRODUCT_COLOURS[Math.floor(random() * PRODUCT_COLOURS.length)]);
    await Promise.all(
      batch.map(async (index, i) => {
        const pixels = split.images.subarray(index * 784, (index + 1) * 784);
        const photo = await renderSilhouette(pixels, 28, 28, colours[i]?.rgb ?? [0, 0, 0]);
        const views = [photo, await augmentImage(photo, `reference-${index}`)];
        for (const [v, bytes] of views.entries()) {
          input.set((await decodeImage(bytes, INPUT)).chw, (i * 2 + v) * per);
        }
      }),
    );
    features.set(await extractor.run(input, batch.length * 2), start * 2 * extractor.dims);
    if (start % 320 === 0)
      args.log.info({ done: start + batch.length, of: indices.length }, 'reference embedding: photographing');
  }
  return learnedWhitening({
    features,
    dims: extractor.dims,
    products: Int32Array.from({ length: indices.length * 2 }, (_, row) => row >> 1),
    outputs: args.outputs,
    shrinkage: args.shrinkage ?? 0.1,
    seed: 2026,
  });
}
