import sharp from 'sharp';
import { seededUniform, seedOf } from '../training/seeded-random.ts';

/**
 * Another photo of the same product, as a second seller would take it: a random crop (70-95 % of
 * each side), a mirror image half of the time, a small rotation on white, brighter or darker, more
 * or less saturated, and JPEG recompression. Deterministic in `seed`.
 */
export async function augmentImage(bytes: Uint8Array, seed: string): Promise<Buffer> {
  const random = seededUniform(seedOf(seed));
  const image = sharp(bytes, { failOn: 'error', pages: 1 }).rotate();
  const { width = 1, height = 1 } = await image.metadata();
  const scale = 0.7 + random() * 0.25;
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const left = Math.floor(random() * (width - w + 1));
  const top = Math.floor(random() * (height - h + 1));
  let view = image.extract({ left, top, width: w, height: h });
  if (random() < 0.5) view = view.flop();
  const cropped = await view.toBuffer();
  return sharp(cropped)
    .rotate(Math.round((random() - 0.5) * 20), { background: { r: 255, g: 255, b: 255 } })
    .modulate({ brightness: 0.8 + random() * 0.4, saturation: 0.7 + random() * 0.6 })
    .jpeg({ quality: 50 + Math.floor(random() * 40) })
    .toBuffer();
}

/** Raw grey or RGB pixels as a PNG, so raw-pixel datasets can be augmented like photos. */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
): Promise<Buffer> {
  return sharp(pixels, { raw: { width, height, channels } }).png().toBuffer();
}
