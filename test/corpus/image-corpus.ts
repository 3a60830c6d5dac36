import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

// Hostile and broken images, made by code (nothing downloaded): each targets one way a decoder or
// a pipeline can be hurt.

const photo = () =>
  sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 180, g: 40, b: 60 } } }).composite(
    [
      {
        input: Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200"><circle cx="80" cy="100" r="60" fill="#224"/></svg>',
        ),
      },
    ],
  );

export const validJpeg = () => photo().jpeg({ quality: 85 }).toBuffer();
export const validPng = () => photo().png().toBuffer();

/** The first `share` of the bytes: a download cut off mid-way. */
export const truncate = (bytes: Buffer, share = 0.6) => bytes.subarray(0, Math.floor(bytes.length * share));

/** Every byte in the middle third replaced by noise (a fixed pattern, so the corpus is reproducible). */
export function scramble(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = Math.floor(out.length / 3); i < Math.floor((2 * out.length) / 3); i++)
    out[i] = (i * 131 + 7) & 255;
  return out;
}

function pngChunk(type: string, data: Buffer, badCrc = false): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(body) ^ (badCrc ? 0xffffffff : 0)) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A PNG whose header declares `width` x `height` with a few bytes of pixels: a decompression bomb's shape. */
export function pngDeclaring(width: number, height: number, { badCrc = false } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc(Math.min(height, 64) * (1 + 3 * Math.min(width, 64)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(rows), badCrc),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG whose frame header (SOF) claims `width` x `height`. */
export async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const bytes = Buffer.from(await validJpeg());
  for (let i = 2; i < bytes.length - 9; i++) {
    if (bytes[i] === 0xff && (bytes[i + 1] === 0xc0 || bytes[i + 1] === 0xc2)) {
      bytes.writeUInt16BE(height, i + 5);
      bytes.writeUInt16BE(width, i + 7);
      return bytes;
    }
  }
  throw new Error('no SOF marker in the JPEG');
}

/** A GIF of `frames` frames on a `side` x `side` screen, a few bytes each: many-frame bomb. */
export function gifWithFrames(side: number, frames: number): Buffer {
  const le = (n: number) => [n & 255, n >> 8];
  const head = [...Buffer.from('GIF89a'), ...le(side), ...le(side), 0x80, 0, 0, 255, 255, 255, 0, 0, 0];
  const frame = [0x21, 0xf9, 4, 0, 0, 0, 0, 0, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0];
  return Buffer.from([...head, ...Array.from({ length: frames }, () => frame).flat(), 0x3b]);
}

/** A JPEG with EXIF orientation `orientation`; 0 and 9+ are outside the standard's 1..8. */
export async function jpegWithOrientation(orientation: number): Promise<Buffer> {
  const bytes = Buffer.from(await photo().withMetadata({ orientation: 6 }).jpeg().toBuffer());
  if (orientation === 6) return bytes;
  // The orientation tag (0x0112, SHORT, count 1) in the big- or little-endian IFD: patch its value.
  for (let i = 0; i < bytes.length - 10; i++) {
    const be = bytes[i] === 0x01 && bytes[i + 1] === 0x12 && bytes[i + 3] === 3;
    const le = bytes[i] === 0x12 && bytes[i + 1] === 0x01 && bytes[i + 2] === 3;
    if (be) bytes.writeUInt16BE(orientation, i + 8);
    if (le) bytes.writeUInt16LE(orientation, i + 8);
    if (be || le) return bytes;
  }
  throw new Error('no orientation tag in the JPEG');
}

export const svgWithExternalReference = () =>
  Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">' +
      '<image xlink:href="file:///etc/passwd" width="64" height="64"/><image href="http://169.254.169.254/latest/meta-data/" width="64" height="64"/></svg>',
  );
export const svgWithScript = () =>
  Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" onload="alert(1)"><script>alert(document.cookie)</script><rect width="64" height="64"/></svg>',
  );
export const htmlPage = () =>
  Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');
export const pdfDocument = () =>
  Buffer.from(
    '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
  );

export const webp = () => photo().webp().toBuffer();
export const gif = () => photo().gif().toBuffer();
export const avif = () => photo().avif().toBuffer();
