import sharp from 'sharp';

/**
 * Perceptual hashes as imagededup computes them (idealo/imagededup, hashing.py), the baseline that
 * near-duplicate detection is usually measured against. 64 bits as 16 hex digits.
 */

/** dHash: grey 9x8, one bit per horizontal neighbour pair (is the left pixel brighter?). */
export async function dHash(bytes: Uint8Array): Promise<string> {
  const pixels = await grey(bytes, 9, 8);
  const bits: number[] = [];
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 8; x++)
      bits.push((pixels[y * 9 + x] as number) > (pixels[y * 9 + x + 1] as number) ? 1 : 0);
  return toHex(bits);
}

/**
 * pHash: grey 32x32, 2-D DCT, an 8x8 block of low frequencies against its median. As imagededup,
 * the block starts at the second column (`dct[:8, 1:9]`): the first holds the DC term, which says
 * only how bright the photo is.
 */
export async function pHash(bytes: Uint8Array): Promise<string> {
  const n = 32;
  const pixels = await grey(bytes, n, n);
  const cos = (k: number, i: number) => Math.cos(((2 * i + 1) * k * Math.PI) / (2 * n));
  const rows = new Float64Array(n * 8);
  for (let y = 0; y < n; y++)
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let x = 0; x < n; x++) sum += (pixels[y * n + x] as number) * cos(u + 1, x);
      rows[y * 8 + u] = sum;
    }
  const coefficients: number[] = [];
  for (let v = 0; v < 8; v++)
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let y = 0; y < n; y++) sum += (rows[y * 8 + u] as number) * cos(v, y);
      coefficients.push(sum);
    }
  const sorted = [...coefficients].sort((a, b) => a - b);
  const median = ((sorted[31] as number) + (sorted[32] as number)) / 2;
  return toHex(coefficients.map((c) => (c >= median ? 1 : 0)));
}

/** Differing bits of two hashes of equal length. */
export function hashDistance(a: string, b: string): number {
  let distance = 0;
  for (let i = 0; i < a.length; i++) {
    let v = Number.parseInt(a[i] as string, 16) ^ Number.parseInt(b[i] as string, 16);
    while (v) {
      distance += v & 1;
      v >>= 1;
    }
  }
  return distance;
}

async function grey(bytes: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  return sharp(bytes, { failOn: 'error', pages: 1 })
    .rotate()
    .flatten({ background: '#ffffff' })
    .greyscale()
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
}

function toHex(bits: number[]): string {
  let hex = '';
  for (let i = 0; i < bits.length; i += 4)
    hex += (
      (bits[i] as number) * 8 +
      (bits[i + 1] as number) * 4 +
      (bits[i + 2] as number) * 2 +
      (bits[i + 3] as number)
    ).toString(16);
  return hex;
}
