import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  PATTERN_COUNT,
  PRODUCT_COLOURS,
  renderShapeProduct,
  renderSilhouette,
  SHAPE_COUNT,
} from '../../shared/image/product-render.ts';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  readFashionMnist,
} from '../../shared/model/reference/fashion-mnist.ts';

/** A product of the demo marketplace: its master photo, category, name parts and base price. */
export interface DemoProduct {
  key: string;
  category: string;
  noun: string;
  colour: string;
  brand: string;
  model: string;
  basePriceMinor: number;
  photo: () => Promise<Buffer>;
}

export type DemoSource = 'fashion-mnist' | 'images' | 'rendered';

/** Median prices in euro cents per category: the price model's first factor (docs/catalog.md). */
const FASHION_PRICES: Record<string, number> = {
  'T-shirt/top': 1500,
  Trouser: 3500,
  Pullover: 4000,
  Dress: 4500,
  Coat: 9000,
  Sandal: 3000,
  Shirt: 2500,
  Sneaker: 6000,
  Bag: 5000,
  'Ankle boot': 8000,
};
const FASHION_NOUNS: Record<string, string> = {
  'T-shirt/top': 't-shirt',
  Trouser: 'trousers',
  Pullover: 'pullover',
  Dress: 'dress',
  Coat: 'coat',
  Sandal: 'sandals',
  Shirt: 'shirt',
  Sneaker: 'sneakers',
  Bag: 'bag',
  'Ankle boot': 'ankle boots',
};
const SHAPES = [
  { category: 'bag', noun: 'tote bag', price: 4000 },
  { category: 'mug', noun: 'mug', price: 1200 },
  { category: 'lamp', noun: 'table lamp', price: 3500 },
  { category: 'box', noun: 'storage box', price: 2000 },
  { category: 'plate', noun: 'plate', price: 1500 },
  { category: 'vase', noun: 'vase', price: 2500 },
];
const BRANDS = [
  'Norrvik',
  'Calloway',
  'Brisa',
  'Oakhaven',
  'Lumo',
  'Vesterby',
  'Marlow',
  'Kinto',
  'Ardent',
  'Solvej',
];
const MODELS = [
  'Alma',
  'Bodo',
  'Cleo',
  'Dune',
  'Esker',
  'Fjord',
  'Gala',
  'Hale',
  'Iris',
  'Juno',
  'Kiva',
  'Luna',
  'Mira',
  'Nova',
  'Orla',
  'Pike',
  'Quill',
  'Rhea',
  'Sol',
  'Tove',
];

/** Where the demo's product photos come from: --images, else Fashion-MNIST when installed, else drawn. */
export function demoSource(imagesDir: string | undefined, fashionMnistDir = FASHION_MNIST_DIR): DemoSource {
  if (imagesDir) return 'images';
  return existsSync(path.join(fashionMnistDir, 't10k-images-idx3-ubyte.gz')) ? 'fashion-mnist' : 'rendered';
}

/** `count` distinct products, deterministic in `random`. */
export function demoProducts(
  count: number,
  source: DemoSource,
  random: () => number,
  options: { imagesDir?: string; fashionMnistDir?: string } = {},
): DemoProduct[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const priceFactor = () => Math.exp(0.35 * gaussian(random));
  const named = (i: number) => ({ brand: pick(BRANDS), model: pick(MODELS), key: `p${i}` });
  if (source === 'images') {
    const files = listImages(options.imagesDir as string);
    return files.slice(0, count).map((file, i) => {
      const category = path.basename(path.dirname(file));
      return {
        ...named(i),
        category,
        noun: category,
        colour: '',
        basePriceMinor: Math.round(4000 * priceFactor()),
        photo: async () => readFileSync(file),
      };
    });
  }
  if (source === 'fashion-mnist') {
    const split = readFashionMnist('t10k', options.fashionMnistDir);
    const used = new Set<number>();
    return Array.from({ length: count }, (_, i) => {
      let index = Math.floor(random() * split.count);
      while (used.has(index)) index = (index + 1) % split.count;
      used.add(index);
      const category = FASHION_MNIST_CLASSES[split.labels[index] as number] as string;
      const colour = pick(PRODUCT_COLOURS);
      const pixels = split.images.subarray(index * 784, (index + 1) * 784);
      return {
        ...named(i),
        category,
        noun: FASHION_NOUNS[category] ?? category,
        colour: colour.name,
        basePriceMinor: Math.round((FASHION_PRICES[category] ?? 3000) * priceFactor()),
        photo: () => renderSilhouette(pixels, 28, 28, colour.rgb),
      };
    });
  }
  return Array.from({ length: count }, (_, i) => {
    const shape = Math.floor(random() * SHAPE_COUNT);
    const colour = pick(PRODUCT_COLOURS);
    const pattern = Math.floor(random() * PATTERN_COUNT);
    const variant = Math.floor(random() * 5);
    const kind = SHAPES[shape] as (typeof SHAPES)[number];
    return {
      ...named(i),
      category: kind.category,
      noun: kind.noun,
      colour: colour.name,
      basePriceMinor: Math.round(kind.price * priceFactor()),
      photo: () => renderShapeProduct(shape, colour.rgb, pattern, variant),
    };
  });
}

function listImages(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(jpe?g|png|webp|gif|avif|tiff?)$/i.test(entry.name)) out.push(full);
    }
  };
  walk(dir);
  return out;
}

export function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
