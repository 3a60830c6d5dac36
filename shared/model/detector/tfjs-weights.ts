import { GrokcatError } from '../../errors/error-catalogue.ts';

/** One entry of a tfjs weights manifest. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'float16' | 'uint8' | 'uint16'; scale?: number; min?: number };
}

const float16 = (bits: number) => {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
};

/** The manifest's tensors decoded from the concatenated weight bytes (float16 widened exactly). */
export function decodeWeights(
  specs: WeightSpec[],
  bytes: Uint8Array,
): Map<string, Float32Array | Int32Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Float32Array | Int32Array>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    if (spec.dtype === 'int32') {
      out.set(
        spec.name,
        Int32Array.from({ length: size }, (_, i) => view.getInt32(offset + i * 4, true)),
      );
      offset += size * 4;
    } else if (!q) {
      out.set(
        spec.name,
        Float32Array.from({ length: size }, (_, i) => view.getFloat32(offset + i * 4, true)),
      );
      offset += size * 4;
    } else if (q.dtype === 'float16') {
      out.set(
        spec.name,
        Float32Array.from({ length: size }, (_, i) => float16(view.getUint16(offset + i * 2, true))),
      );
      offset += size * 2;
    } else {
      const width = q.dtype === 'uint8' ? 1 : 2;
      const read = (i: number) =>
        width === 1 ? view.getUint8(offset + i) : view.getUint16(offset + i * 2, true);
      out.set(
        spec.name,
        Float32Array.from({ length: size }, (_, i) => (q.min ?? 0) + (q.scale ?? 1) * read(i)),
      );
      offset += size * width;
    }
  }
  if (offset !== bytes.byteLength)
    throw new GrokcatError(
      'MODEL_CONVERSION_FAILED',
      `weights: ${bytes.byteLength} bytes, the manifest reads ${offset}`,
    );
  return out;
}
