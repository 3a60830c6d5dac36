import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prepareRawPixels } from '../../../shared/image/image-decoder.ts';
import type { ModelRuntime } from '../../../shared/model/model-runtime.ts';
import { readFashionMnist } from '../../../shared/model/reference/fashion-mnist.ts';

/** Which Fashion-MNIST image an embedding is of: split, index, and whether mirrored left-right. */
export interface ImageRef {
  split: 'train' | 't10k';
  index: number;
  mirrored: boolean;
}

/**
 * The images behind the nearest-neighbour benchmark: real photos through the real model, enough of
 * them for a 100k catalogue. The pool is the 10,000 test images, then training images, then
 * mirrored training images (a re-taken photo of the same garment, as duplicate listings are); the
 * queries are 200 training images that are never in the pool.
 */
export function benchImages(poolSize: number): { pool: ImageRef[]; queries: ImageRef[] } {
  const pool: ImageRef[] = [];
  for (let i = 0; i < 10_000 && pool.length < poolSize; i++)
    pool.push({ split: 't10k', index: i, mirrored: false });
  for (let i = 0; i < 59_800 && pool.length < poolSize; i++)
    pool.push({ split: 'train', index: i, mirrored: false });
  for (let i = 0; i < 59_800 && pool.length < poolSize; i++)
    pool.push({ split: 'train', index: i, mirrored: true });
  const queries = Array.from({ length: 200 }, (_, i) => ({
    split: 'train' as const,
    index: 59_800 + i,
    mirrored: false,
  }));
  return { pool, queries };
}

const mirror = (pixels: Uint8Array) => {
  const out = new Uint8Array(784);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) out[y * 28 + x] = pixels[y * 28 + 27 - x] as number;
  return out;
};

/**
 * Embeddings of `refs` from the serving runtime, cached under `cacheDir` per model version (100k
 * images take minutes on 2 cores; a rerun of the report should not pay them again).
 */
export async function fashionEmbeddings(args: {
  refs: ImageRef[];
  runtime: ModelRuntime;
  cacheDir: string;
  name: string;
  onProgress?: (done: number, total: number) => void;
}): Promise<Float32Array[]> {
  const { refs, runtime } = args;
  const dims = runtime.files.card.embedding_dim;
  const file = path.join(args.cacheDir, `${runtime.version}-${args.name}-${refs.length}.f32`);
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    if (all.length === refs.length * dims) return refs.map((_, i) => all.slice(i * dims, (i + 1) * dims));
  }
  const splits = { train: readFashionMnist('train'), t10k: readFashionMnist('t10k') };
  const { size, fit, mean, std } = runtime.files.card.input;
  const out: Float32Array[] = new Array(refs.length);
  let next = 0;
  let done = 0;
  // Enough requests in flight to fill the runtime's batches.
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < refs.length) {
        const i = next++;
        const ref = refs[i] as ImageRef;
        const raw = splits[ref.split].images.subarray(ref.index * 784, (ref.index + 1) * 784);
        const dark = raw.map((v) => 255 - v); // dark garment on white, as catalogue photos are
        const pixels = ref.mirrored ? mirror(dark) : dark;
        out[i] = (
          await runtime.infer(await prepareRawPixels(pixels, 28, 28, 1, { size, fit, mean, std }))
        ).embedding;
        if (++done % 500 === 0) args.onProgress?.(done, refs.length);
      }
    }),
  );
  mkdirSync(args.cacheDir, { recursive: true });
  const flat = new Float32Array(refs.length * dims);
  out.forEach((e, i) => {
    flat.set(e, i * dims);
  });
  writeFileSync(`${file}.tmp`, Buffer.from(flat.buffer));
  renameSync(`${file}.tmp`, file);
  return out;
}
