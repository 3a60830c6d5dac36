import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';
import { augmentImage, encodePng } from '../image/image-augment.ts';
import { decodeImage, prepareRawPixels } from '../image/image-decoder.ts';
import type { Logger } from '../log/logger.ts';
import { createFeatureCacheRepository } from './feature-cache.repository.ts';
import type { FeatureExtractor } from './feature-extractor.ts';
import type { ImageSource } from './labelled-dataset.ts';

/** One image to extract: its source and, for an augmented view, the view's seed. */
export interface FeatureRequest {
  key: string;
  source: ImageSource;
  view?: string;
}

/** The cache key of an image or of one augmented view of it. */
export const featureKey = (request: FeatureRequest) =>
  request.view ? createHash('sha256').update(`${request.key}:${request.view}`).digest('hex') : request.key;

const BATCH = 32;

/**
 * Shared features (trunk + GeM, L2-normalised) of images, from the `image_features` cache where
 * present; the others are decoded, run through the trunk in batches and cached, so a retraining
 * never runs the trunk on an image twice. Returns rows in request order.
 */
export async function extractFeatures(args: {
  requests: FeatureRequest[];
  extractor: FeatureExtractor;
  knex: Knex;
  log: Logger;
  maxPixels: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<Float32Array> {
  const { requests, extractor, log } = args;
  const cache = createFeatureCacheRepository(args.knex, extractor.id);
  const keys = requests.map(featureKey);
  const found = await cache.getMany([...new Set(keys)]);
  const missing = [...new Map(requests.map((r, i) => [keys[i] as string, r])).entries()].filter(
    ([key]) => !found.has(key),
  );
  log.info({ images: requests.length, cached: found.size, missing: missing.length }, 'shared features');
  const size = extractor.inputSize;
  const prepare = {
    size,
    fit: 'contain' as const,
    mean: [0, 0, 0] as [number, number, number],
    std: [1, 1, 1] as [number, number, number],
  };
  for (let start = 0; start < missing.length; start += BATCH) {
    const batch = missing.slice(start, start + BATCH);
    const input = new Float32Array(batch.length * 3 * size * size);
    await Promise.all(
      batch.map(async ([, request], i) => {
        input.set(await prepareInput(request, prepare, args.maxPixels), i * 3 * size * size);
      }),
    );
    const features = await extractor.run(input, batch.length);
    const rows = batch.map(([key], i) => ({
      imageSha256: key,
      features: features.slice(i * extractor.dims, (i + 1) * extractor.dims),
    }));
    await cache.put(rows);
    for (const row of rows) found.set(row.imageSha256, row.features);
    args.onProgress?.(Math.min(start + BATCH, missing.length), missing.length);
  }
  const out = new Float32Array(requests.length * extractor.dims);
  keys.forEach((key, i) => {
    const features = found.get(key);
    if (features) out.set(features, i * extractor.dims);
  });
  return out;
}

/** The model input of one request (an augmented view is made from the image's bytes on the fly). */
export async function prepareInput(
  request: FeatureRequest,
  prepare: {
    size: number;
    fit: 'contain' | 'cover';
    mean: [number, number, number];
    std: [number, number, number];
  },
  maxPixels: number,
): Promise<Float32Array> {
  const { source } = request;
  if (!request.view) {
    if (source.kind === 'pixels')
      return prepareRawPixels(source.pixels, source.width, source.height, source.channels, prepare);
    return (await decodeImage(readFileSync(source.path), { ...prepare, maxPixels })).chw;
  }
  const bytes =
    source.kind === 'pixels'
      ? await encodePng(source.pixels, source.width, source.height, source.channels)
      : readFileSync(source.path);
  return (
    await decodeImage(await augmentImage(bytes, `${request.key}:${request.view}`), { ...prepare, maxPixels })
  ).chw;
}
