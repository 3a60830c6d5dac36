import { createHash } from 'node:crypto';
import {
  balancedIndices,
  FASHION_MNIST_CLASSES,
  readFashionMnist,
} from '../model/reference/fashion-mnist.ts';
import { REFERENCE_ATTRIBUTES, REFERENCE_QUERIES } from '../model/reference/reference-taxonomy.ts';

/** Where an image's pixels come from: an encoded file, or raw pixels (Fashion-MNIST). */
export type ImageSource =
  | { kind: 'file'; path: string }
  | { kind: 'pixels'; pixels: Uint8Array; width: number; height: number; channels: 1 | 3 };

/** One labelled image, as the trainer sees it whatever the labels came from (a folder, events). */
export interface LabelledImage {
  /** Content key (sha256 of the image); the feature cache is keyed by it. */
  key: string;
  source: ImageSource;
  split: 'train' | 'eval';
  category: string | null;
  /** `group=label` of every attribute that applies. */
  attributes: string[];
  queries: string[];
  /** Images sharing a product are the same product (duplicate listings, photos of one item). */
  product: string | null;
  /** A product's catalogue image: the gallery side of retrieval evaluation. */
  iconic: boolean;
}

export interface LabelledDataset {
  name: string;
  images: LabelledImage[];
  categories: string[];
  attributeGroups: { name: string; labels: string[] }[];
  queries: string[];
  /** What the card says the model recognises and how it was trained. */
  description: string;
}

export const attributeKey = (group: string, label: string) => `${group}=${label}`;

export function flatAttributes(dataset: Pick<LabelledDataset, 'attributeGroups'>): string[] {
  return dataset.attributeGroups.flatMap((g) => g.labels.map((label) => attributeKey(g.name, label)));
}

/**
 * Fashion-MNIST as a labelled dataset: training images (all, or `perClass` of each class) and the
 * 10,000 test images as the evaluation split, grey levels inverted to dark-on-white like catalogue
 * photos; attributes and queries from the reference taxonomy. No product identities.
 */
export function fashionMnistDataset(options: { perClass?: number; evalLimit?: number; dir?: string }) {
  const train = readFashionMnist('train', options.dir);
  const test = readFashionMnist('t10k', options.dir);
  const images: LabelledImage[] = [];
  const add = (split: typeof train, index: number, as: 'train' | 'eval') => {
    const original = split.images.subarray(index * 784, (index + 1) * 784);
    const label = split.labels[index] as number;
    const name = FASHION_MNIST_CLASSES[label] as string;
    images.push({
      key: createHash('sha256').update(original).digest('hex'),
      source: { kind: 'pixels', pixels: original.map((v) => 255 - v), width: 28, height: 28, channels: 1 },
      split: as,
      category: name,
      attributes: REFERENCE_ATTRIBUTES.filter((a) => (a.classes as readonly string[]).includes(name)).map(
        (a) => attributeKey(a.group, a.label),
      ),
      queries: REFERENCE_QUERIES.filter((q) => (q.classes as readonly string[]).includes(name)).map(
        (q) => q.query,
      ),
      product: null,
      iconic: false,
    });
  };
  const trainIndices = options.perClass
    ? balancedIndices(train, options.perClass)
    : Array.from({ length: train.count }, (_, i) => i);
  for (const i of trainIndices) add(train, i, 'train');
  for (let i = 0; i < Math.min(options.evalLimit ?? test.count, test.count); i++) add(test, i, 'eval');
  const groups = [...new Set(REFERENCE_ATTRIBUTES.map((a) => a.group))];
  return {
    name: 'fashion-mnist',
    images,
    categories: [...FASHION_MNIST_CLASSES],
    attributeGroups: groups.map((name) => ({
      name,
      labels: REFERENCE_ATTRIBUTES.filter((a) => a.group === name).map((a) => a.label),
    })),
    queries: REFERENCE_QUERIES.map((q) => q.query),
    description: `Fashion-MNIST, ${trainIndices.length} training images, inverted to dark-on-white`,
  } satisfies LabelledDataset;
}
