import sharp, { type Metadata, type Sharp } from 'sharp';
import { GrokcatError } from '../errors/error-catalogue.ts';

/** Formats grokcat decodes. SVG is refused: it can reference external files and run scripts. */
export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const;

export interface DecodeOptions {
  /** Square side of the model input. */
  size: number;
  /**
   * 'contain' keeps the whole product and pads with `background`; 'cover' crops the centre; 'fill'
   * stretches (detectors, whose boxes are read back as fractions of the image).
   */
  fit: 'contain' | 'cover' | 'fill';
  /** Decompression-bomb guard: images with more pixels than this are refused before decoding. */
  maxPixels: number;
  /** Per channel, applied after scaling to [0, 1]: (x - mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
  /** Channel order of the model input (default 'rgb'); mean and std are in that order. */
  channels?: 'rgb' | 'bgr';
}

export interface DecodedImage {
  /** CHW float32, normalised, ready for the model. */
  chw: Float32Array;
  width: number;
  height: number;
  format: string;
}

/**
 * Decodes and prepares one image with sharp: checks the real format from the bytes (never the
 * declared content type), refuses oversized and unsupported images with the reason, applies EXIF
 * orientation, resizes to the model's square input and normalises.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
  const { width, height, format } = await checkImage(bytes, options.maxPixels);
  let chw: Float32Array;
  try {
    chw = await toModelInput(
      sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error', pages: 1 }).rotate(),
      options,
    );
  } catch (error) {
    throw new GrokcatError('IMAGE_REFUSED', `the image does not decode: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { chw, width, height, format };
}

/**
 * Reads only the image's header and refuses what must not be decoded: no image, a format outside
 * ACCEPTED_FORMATS (by its bytes, never its declared type), more pixels (all frames) than `maxPixels`.
 */
export async function checkImage(
  bytes: Uint8Array,
  maxPixels: number,
): Promise<{ width: number; height: number; format: string }> {
  if (bytes.length === 0) throw new GrokcatError('IMAGE_REFUSED', 'the image is empty (0 bytes)');
  let metadata: Metadata;
  try {
    // Only the header is read here, so no pixel limit yet: the check below says how large it is.
    metadata = await sharp(bytes, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (error) {
    throw new GrokcatError('IMAGE_REFUSED', `not a readable image: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // libvips reads AVIF as HEIF with AV1 compression; HEIC (HEVC) stays refused.
  const format =
    metadata.format === 'heif' && metadata.compression === 'av1' ? 'avif' : (metadata.format ?? 'unknown');
  if (!(ACCEPTED_FORMATS as readonly string[]).includes(format)) {
    throw new GrokcatError(
      'IMAGE_REFUSED',
      `image format ${format} is not accepted (accepted: ${ACCEPTED_FORMATS.join(', ')})`,
    );
  }
  const pixels = (metadata.width ?? 0) * (metadata.height ?? 0) * (metadata.pages ?? 1);
  if (pixels > maxPixels) {
    throw new GrokcatError(
      'IMAGE_REFUSED',
      `image has ${pixels} pixels (${metadata.width}x${metadata.height}x${metadata.pages ?? 1}), over the limit of ${maxPixels}`,
    );
  }
  return { width: metadata.width ?? 0, height: metadata.height ?? 0, format };
}

/** A small WebP of an image for display (console, API image links), EXIF orientation applied. */
export async function renderThumbnail(bytes: Uint8Array, width: number, maxPixels: number): Promise<Buffer> {
  await checkImage(bytes, maxPixels);
  try {
    return await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .rotate()
      .resize(width, width, { fit: 'inside', kernel: 'lanczos3' })
      .webp({ quality: 82 })
      .toBuffer();
  } catch (error) {
    throw new GrokcatError('IMAGE_REFUSED', `the image does not decode: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A rectangle of an image as fractions of its (EXIF-oriented) width and height. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Model inputs for regions of one image (after decodeImage has accepted it): page photos show
 * several products, so each is looked for in crops as well as in the whole photo.
 */
export async function decodeRegions(
  bytes: Uint8Array,
  regions: Region[],
  options: DecodeOptions,
): Promise<Float32Array[]> {
  const oriented = sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error', pages: 1 }).rotate();
  const { data, info } = await oriented.removeAlpha().toColourspace('srgb').raw().toBuffer({
    resolveWithObject: true,
  });
  return Promise.all(
    regions.map((region) => {
      const left = Math.min(info.width - 1, Math.floor(region.left * info.width));
      const top = Math.min(info.height - 1, Math.floor(region.top * info.height));
      const width = Math.max(1, Math.min(info.width - left, Math.round(region.width * info.width)));
      const height = Math.max(1, Math.min(info.height - top, Math.round(region.height * info.height)));
      const raw = { width: info.width, height: info.height, channels: info.channels as 3 };
      return toModelInput(sharp(data, { raw }).extract({ left, top, width, height }), options);
    }),
  );
}

/** Prepares raw grey or RGB pixels (not an encoded file) exactly as decodeImage prepares a photo. */
export function prepareRawPixels(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
  options: Omit<DecodeOptions, 'maxPixels'>,
): Promise<Float32Array> {
  return toModelInput(sharp(pixels, { raw: { width, height, channels } }), options);
}

/** sRGB, no alpha, resized to the model's square on white, then CHW float32, normalised. */
async function toModelInput(image: Sharp, options: Omit<DecodeOptions, 'maxPixels'>): Promise<Float32Array> {
  const raw = await image
    .removeAlpha()
    .toColourspace('srgb')
    .resize(options.size, options.size, {
      fit: options.fit,
      background: { r: 255, g: 255, b: 255 },
      kernel: 'lanczos3',
    })
    .raw()
    .toBuffer();
  const plane = options.size * options.size;
  const chw = new Float32Array(3 * plane);
  // Grey inputs come back with one channel: it feeds all three.
  const stride = raw.length / plane;
  for (let c = 0; c < 3; c++) {
    const [mean, std] = [options.mean[c] as number, options.std[c] as number];
    const source = Math.min(options.channels === 'bgr' ? 2 - c : c, stride - 1);
    for (let i = 0; i < plane; i++)
      chw[c * plane + i] = ((raw[i * stride + source] as number) / 255 - mean) / std;
  }
  return chw;
}
