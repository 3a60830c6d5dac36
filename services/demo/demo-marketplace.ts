import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { augmentImage } from '../../shared/image/image-augment.ts';
import { seededUniform, seedOf } from '../../shared/training/seeded-random.ts';
import { type DemoProduct, type DemoSource, demoProducts, gaussian } from './demo-catalogue.ts';

export interface DemoListing {
  listing_id: string;
  product: string;
  category: string;
  title: string;
  seller_id: string;
  condition: 'new' | 'like_new' | 'used' | 'for_parts';
  /** What the price model says it sells for; published unless the listing is held out. */
  true_price_minor: number;
  held_out: boolean;
  images: string[];
}

export interface GroundTruth {
  run: string;
  created_at: string;
  source: DemoSource;
  listings: DemoListing[];
}

/** The price model's condition factors (docs/catalog.md). */
export const CONDITION_FACTORS = { new: 1, like_new: 0.85, used: 0.65, for_parts: 0.3 } as const;
/** Share of listings published without a price, kept to measure the price suggestions. */
export const HELD_OUT_SHARE = 0.2;

/**
 * A marketplace with a known truth: products listed 1 to 5 times by different sellers, each listing
 * with 1 to 3 photos of its own (the product's photo re-taken: crop, mirror, rotation, light,
 * saturation, JPEG recompression, and on some a different backdrop) and a title of its own; prices
 * follow the price model: product base price x condition factor x seller noise (5 %), to 50 cents.
 */
export async function generateMarketplace(args: {
  listings: number;
  source: DemoSource;
  run: string;
  folder: string;
  imagesDir?: string;
  seed?: number;
}): Promise<GroundTruth> {
  const random = seededUniform(args.seed ?? seedOf(args.run));
  const products = demoProducts(Math.ceil(args.listings / 2.2), args.source, random, {
    ...(args.imagesDir ? { imagesDir: args.imagesDir } : {}),
  });
  mkdirSync(args.folder, { recursive: true });
  const listings: DemoListing[] = [];
  const conditions = Object.keys(CONDITION_FACTORS) as DemoListing['condition'][];
  let p = 0;
  while (listings.length < args.listings && products.length > 0) {
    const product = products[p % products.length] as DemoProduct;
    p += 1;
    const copies = Math.min(args.listings - listings.length, 1 + Math.floor(random() ** 1.6 * 5));
    const master = await product.photo();
    for (let c = 0; c < copies; c++) {
      const n = listings.length;
      const id = `demo-${args.run}-${String(n).padStart(5, '0')}`;
      const condition = conditions[Math.min(3, Math.floor(random() ** 1.5 * 4))] as DemoListing['condition'];
      const price = product.basePriceMinor * CONDITION_FACTORS[condition] * Math.exp(0.05 * gaussian(random));
      const images: string[] = [];
      const photos = 1 + Math.floor(random() * 3);
      for (let k = 0; k < photos; k++) {
        const file = path.join(args.folder, `${id}-${k}.jpg`);
        // Seeded by the marketplace's seed, not the run id: one seed gives the same photos in every run.
        writeFileSync(file, await sellerPhoto(master, `${args.seed ?? args.run}-${n}-${k}`, random));
        images.push(pathToFileURL(file).href);
      }
      listings.push({
        listing_id: id,
        product: `${args.run}:${product.key}`,
        category: product.category,
        title: sellerTitle(product, condition, random),
        seller_id: `seller-${Math.floor(random() * 1000)}`,
        condition,
        true_price_minor: Math.max(50, Math.round(price / 50) * 50),
        held_out: random() < HELD_OUT_SHARE,
        images,
      });
    }
  }
  return { run: args.run, created_at: new Date().toISOString(), source: args.source, listings };
}

async function sellerPhoto(master: Buffer, seed: string, random: () => number): Promise<Buffer> {
  let photo = master;
  if (random() < 0.35) {
    const { width = 192 } = await sharp(master).metadata();
    const border = Math.round(width * (0.08 + random() * 0.15));
    const tint = () => 200 + Math.floor(random() * 50);
    photo = await sharp(master)
      .extend({
        top: border,
        bottom: border,
        left: border,
        right: border,
        background: { r: tint(), g: tint(), b: tint() },
      })
      .png()
      .toBuffer();
  }
  return augmentImage(photo, seed);
}

const CONDITION_WORDS = {
  new: ['new', 'brand new', 'NWT'],
  like_new: ['like new', 'worn once', 'mint'],
  used: ['used', 'good condition', 'pre-loved'],
  for_parts: ['damaged', 'for repair', 'as is'],
};

const SIZES = ['S', 'M', 'L', 'XL', '38', '40', '42', 'one size'];

/**
 * A seller's title. Sellers name what they see (colour, kind of item) and only some name the brand
 * or the model, so titles alone confuse products of one kind and colour; word order, case, a size,
 * the state and a typo vary from seller to seller.
 */
function sellerTitle(
  product: DemoProduct,
  condition: DemoListing['condition'],
  random: () => number,
): string {
  const words = CONDITION_WORDS[condition];
  const parts: string[] = [];
  if (random() < 0.55) parts.push(product.brand);
  if (random() < 0.4) parts.push(product.model);
  if (product.colour && random() < 0.7) parts.push(product.colour);
  parts.push(product.noun);
  // Shuffle lightly: sellers put the noun or the colour first as often as the brand.
  if (random() < 0.5) parts.reverse();
  if (random() < 0.4) parts.push(`size ${SIZES[Math.floor(random() * SIZES.length)]}`);
  if (random() < 0.5) parts.push(`- ${words[Math.floor(random() * words.length)]}`);
  let title = parts.join(' ');
  if (random() < 0.3) title = title.toLowerCase();
  if (random() < 0.2) {
    const at = 1 + Math.floor(random() * (title.length - 2));
    title = title.slice(0, at) + title.slice(at + 1);
  }
  return title;
}
