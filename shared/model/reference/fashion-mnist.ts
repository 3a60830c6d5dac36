import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GrokcatError } from '../../errors/error-catalogue.ts';

/** Where Debian's dataset-fashion-mnist package puts the files (`dpkg -L dataset-fashion-mnist`). */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export interface FashionMnistSplit {
  /** count x 28 x 28 grey levels, white garment on black. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

function readIdx(file: string, magic: number): Buffer {
  const bytes = gunzipSync(readFileSync(file));
  if (bytes.readUInt32BE(0) !== magic)
    throw new GrokcatError('MODEL_INVALID', `${file} is not an IDX file (magic ${magic})`);
  return bytes;
}

/** Reads a split from the IDX files (http://yann.lecun.com/exdb/mnist/ describes the format). */
export function readFashionMnist(
  split: 'train' | 't10k',
  dir: string = FASHION_MNIST_DIR,
): FashionMnistSplit {
  const imagesFile = path.join(dir, `${split}-images-idx3-ubyte.gz`);
  if (!existsSync(imagesFile)) {
    throw new GrokcatError(
      'USAGE_INVALID',
      `Fashion-MNIST is not at ${dir}: install the Debian package dataset-fashion-mnist`,
    );
  }
  const images = readIdx(imagesFile, 0x803);
  const labels = readIdx(path.join(dir, `${split}-labels-idx1-ubyte.gz`), 0x801);
  const count = images.readUInt32BE(4);
  return { images: images.subarray(16), labels: labels.subarray(8), count };
}

/** The first `perClass` indices of each class, in file order: a deterministic, balanced subset. */
export function balancedIndices(split: FashionMnistSplit, perClass: number): number[] {
  const taken = new Array<number>(FASHION_MNIST_CLASSES.length).fill(0);
  const picked: number[] = [];
  for (let i = 0; i < split.count; i++) {
    const label = split.labels[i] as number;
    if ((taken[label] as number) < perClass) {
      taken[label] = (taken[label] as number) + 1;
      picked.push(i);
    }
  }
  return picked;
}
