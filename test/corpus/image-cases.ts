import { type CorpusCase, outcome } from './corpus-case.ts';
import type { CorpusContext } from './corpus-context.ts';
import * as img from './image-corpus.ts';

const refusedUpload = (
  ctx: CorpusContext,
  id: string,
  name: string,
  make: () => Buffer | Promise<Buffer>,
  reason: RegExp,
  expected: string,
  file = 'photo.jpg',
  type = 'image/jpeg',
): CorpusCase => ({
  id,
  kind: 'image',
  name,
  expected,
  async run() {
    const { status, json } = await ctx.upload(await make(), file, type);
    const error = json?.error;
    return outcome(
      status === 422 && error?.code === 'IMAGE_REFUSED' && reason.test(error.message),
      `${status} ${error?.code ?? ''}: ${error?.message ?? JSON.stringify(json).slice(0, 80)}`,
    );
  },
});

const acceptedUpload = (
  ctx: CorpusContext,
  id: string,
  name: string,
  make: () => Promise<Buffer>,
  expected: string,
  file = 'photo.jpg',
  type = 'image/jpeg',
): CorpusCase => ({
  id,
  kind: 'image',
  name,
  expected,
  async run() {
    const { status, json } = await ctx.upload(await make(), file, type);
    return outcome(
      status === 200 && Boolean(json?.category?.label),
      `${status} enriched (category ${json?.category?.label})`,
    );
  },
});

const DECODE = /does not decode|not a readable image/;
const TOO_MANY_PIXELS = /pixels .* over the limit/;

/** Uploaded photos: broken, truncated, bombs, scripts, lies about their type. */
export function imageCases(ctx: CorpusContext): CorpusCase[] {
  return [
    refusedUpload(
      ctx,
      'jpeg-truncated',
      'JPEG cut off at 60%',
      async () => img.truncate(await img.validJpeg()),
      DECODE,
      '422 IMAGE_REFUSED, does not decode',
    ),
    acceptedUpload(
      ctx,
      'jpeg-scrambled',
      'JPEG with its middle third overwritten',
      async () => img.scramble(await img.validJpeg()),
      '200: the JPEG decoder recovers (noise in the picture), no crash',
    ),
    refusedUpload(
      ctx,
      'png-truncated',
      'PNG cut off at 60%',
      async () => img.truncate(await img.validPng()),
      DECODE,
      '422 IMAGE_REFUSED, does not decode',
      'a.png',
      'image/png',
    ),
    refusedUpload(
      ctx,
      'png-scrambled',
      'PNG with its middle third overwritten',
      async () => img.scramble(await img.validPng()),
      DECODE,
      '422 IMAGE_REFUSED, does not decode',
      'a.png',
      'image/png',
    ),
    refusedUpload(
      ctx,
      'png-bad-crc',
      'PNG with a wrong IDAT checksum',
      () => img.pngDeclaring(64, 64, { badCrc: true }),
      DECODE,
      '422 IMAGE_REFUSED, does not decode',
      'a.png',
      'image/png',
    ),
    refusedUpload(
      ctx,
      'webp-truncated',
      'WebP cut off at 60%',
      async () => img.truncate(await img.webp()),
      DECODE,
      '422 IMAGE_REFUSED, not readable',
      'a.webp',
      'image/webp',
    ),
    refusedUpload(
      ctx,
      'gif-truncated',
      'GIF cut off at 60%',
      async () => img.truncate(await img.gif()),
      DECODE,
      '422 IMAGE_REFUSED, not readable',
      'a.gif',
      'image/gif',
    ),
    refusedUpload(
      ctx,
      'avif-truncated',
      'AVIF cut off at 60%',
      async () => img.truncate(await img.avif()),
      DECODE,
      '422 IMAGE_REFUSED, does not decode',
      'a.avif',
      'image/avif',
    ),
    acceptedUpload(
      ctx,
      'avif-valid',
      'a valid AVIF (read by libvips as HEIF/AV1)',
      () => img.avif(),
      '200 enriched',
      'a.avif',
      'image/avif',
    ),
    refusedUpload(
      ctx,
      'png-bomb',
      'PNG declaring 100000 x 100000 pixels in 200 bytes',
      () => img.pngDeclaring(100_000, 100_000),
      TOO_MANY_PIXELS,
      '422 IMAGE_REFUSED from the header, before decoding',
      'a.png',
      'image/png',
    ),
    refusedUpload(
      ctx,
      'jpeg-bomb',
      'JPEG whose frame header claims 65000 x 65000',
      () => img.jpegDeclaring(65_000, 65_000),
      TOO_MANY_PIXELS,
      '422 IMAGE_REFUSED from the header, before decoding',
    ),
    refusedUpload(
      ctx,
      'gif-frames-bomb',
      'GIF of 60 frames of 1000 x 1000 in 1.4 KB',
      () => img.gifWithFrames(1000, 60),
      TOO_MANY_PIXELS,
      '422 IMAGE_REFUSED: frames count towards the pixel limit',
      'a.gif',
      'image/gif',
    ),
    refusedUpload(
      ctx,
      'svg-external',
      'SVG referencing file:///etc/passwd and the metadata address',
      () => img.svgWithExternalReference(),
      /svg is not accepted/,
      '422 IMAGE_REFUSED: SVG is never rendered',
      'a.svg',
      'image/svg+xml',
    ),
    refusedUpload(
      ctx,
      'svg-script',
      'SVG with a script and an onload handler',
      () => img.svgWithScript(),
      /svg is not accepted/,
      '422 IMAGE_REFUSED: SVG is never rendered',
      'a.svg',
      'image/svg+xml',
    ),
    refusedUpload(
      ctx,
      'zero-bytes',
      'an empty file',
      () => Buffer.alloc(0),
      /empty/,
      '422 IMAGE_REFUSED: empty',
    ),
    refusedUpload(
      ctx,
      'html-as-png',
      'an HTML page declared image/png',
      () => img.htmlPage(),
      DECODE,
      '422 IMAGE_REFUSED: the type is read from the bytes',
      'a.png',
      'image/png',
    ),
    refusedUpload(
      ctx,
      'pdf-as-jpeg',
      'a PDF declared image/jpeg',
      () => img.pdfDocument(),
      DECODE,
      '422 IMAGE_REFUSED: not an accepted format',
    ),
    acceptedUpload(
      ctx,
      'png-as-jpeg',
      'a real PNG declared image/jpeg',
      () => img.validPng(),
      '200 enriched: the declared type is ignored',
    ),
    acceptedUpload(
      ctx,
      'exif-8',
      'JPEG with EXIF orientation 8 (rotated 270°)',
      () => img.jpegWithOrientation(8),
      '200 enriched, orientation applied',
    ),
    acceptedUpload(
      ctx,
      'exif-0',
      'JPEG with EXIF orientation 0 (invalid)',
      () => img.jpegWithOrientation(0),
      '200 enriched, orientation ignored',
    ),
    acceptedUpload(
      ctx,
      'exif-65535',
      'JPEG with EXIF orientation 65535 (invalid)',
      () => img.jpegWithOrientation(65535),
      '200 enriched, orientation ignored',
    ),
    {
      id: 'upload-oversize',
      kind: 'image',
      name: 'an upload one byte over GROKCAT_IMAGE_MAX_BYTES',
      expected: '413 REQUEST_TOO_LARGE',
      async run() {
        const { status, json } = await ctx.upload(
          Buffer.alloc(ctx.maxUploadBytes + 1, 0xff),
          'big.jpg',
          'image/jpeg',
        );
        return outcome(
          status === 413 && json?.error?.code === 'REQUEST_TOO_LARGE',
          `${status} ${json?.error?.code}: ${json?.error?.message}`,
        );
      },
    },
  ];
}
