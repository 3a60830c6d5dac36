import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GrokcatError } from '../../errors/error-catalogue.ts';
import type { Logger } from '../../log/logger.ts';
import { createOnnxSession } from '../onnx-session.ts';
import { convertKerasTrunk } from './keras-to-onnx.ts';
import { loadNsfwjsModel, type TrunkName } from './nsfwjs-models.ts';
import { createTfjsReference } from './tfjs-reference.ts';

/** Bump when the converter's output changes, so cached trunks are converted again. */
const CONVERTER_VERSION = 1;
/** The bar: the converted trunk must match Keras within this relative error. */
export const MAX_RELATIVE_ERROR = 1e-3;

export const DEFAULT_CUTS: Record<TrunkName, string> = {
  mobilenet_v2: 'block_13_expand_relu',
  inception_v3: 'mixed7',
};

export interface ConversionCheck {
  images: number;
  maxAbsError: number;
  /** max |onnx - keras| / max |keras| over all checked feature maps. */
  maxRelativeError: number;
  passed: boolean;
}

export interface TrunkArtifact {
  trunk: TrunkName;
  cut: string;
  onnxPath: string;
  sha256: string;
  inputSize: number;
  featureShape: [number, number, number];
  featureOutput: string;
  macs: number;
  converterVersion: number;
  check: ConversionCheck;
  convertedAt: string;
}

export function nhwcToNchw(nhwc: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(nhwc.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++)
          out[((b * c + k) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * c + k] as number;
  return out;
}

/** Runs both models on the same NHWC images and reports the largest disagreement. */
export async function checkConversion(
  trunk: TrunkName,
  cut: string,
  onnx: Uint8Array,
  featureOutput: string,
  batches: { nhwc: Float32Array; n: number }[],
  inputSize: number,
): Promise<ConversionCheck> {
  const reference = await createTfjsReference(loadNsfwjsModel(trunk), cut);
  const session = await createOnnxSession(onnx, {
    executionProviders: ['cpu'],
    intraOpThreads: 0,
    interOpThreads: 1,
  });
  let maxAbs = 0;
  let maxRef = 0;
  let images = 0;
  try {
    for (const { nhwc, n } of batches) {
      const expected = await reference.run(nhwc, n, inputSize);
      const result = await session.run({
        image: { data: nhwcToNchw(nhwc, n, inputSize, inputSize, 3), dims: [n, 3, inputSize, inputSize] },
      });
      const got = result[featureOutput];
      if (!got)
        throw new GrokcatError('MODEL_CONVERSION_FAILED', `the ONNX trunk has no output ${featureOutput}`);
      const [, c = 0, h = 0, w = 0] = got.dims;
      for (let b = 0; b < n; b++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            for (let k = 0; k < c; k++) {
              const e = expected[((b * h + y) * w + x) * c + k] as number;
              const g = got.data[((b * c + k) * h + y) * w + x] as number;
              maxAbs = Math.max(maxAbs, Math.abs(e - g));
              maxRef = Math.max(maxRef, Math.abs(e));
            }
      images += n;
    }
  } finally {
    reference.dispose();
    await session.release();
  }
  const maxRelativeError = maxRef === 0 ? maxAbs : maxAbs / maxRef;
  return { images, maxAbsError: maxAbs, maxRelativeError, passed: maxRelativeError < MAX_RELATIVE_ERROR };
}

/** Deterministic pseudo-random images in [0, 1]: noise, and smooth gradients that look more like photos. */
export function syntheticImages(n: number, size: number, seed = 1): Float32Array {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const out = new Float32Array(n * size * size * 3);
  for (let b = 0; b < n; b++) {
    const smooth = b % 2 === 1;
    const [a, c, d] = [random(), random(), random()];
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let k = 0; k < 3; k++) {
          const value = smooth ? (Math.sin((x * a + y * c) / 20 + k * d * 6) + 1) / 2 : random();
          out[((b * size + y) * size + x) * 3 + k] = value;
        }
  }
  return out;
}

function artifactPaths(home: string, trunk: TrunkName, cut: string) {
  const base = path.join(home, 'models', `trunk-${trunk}-${cut}`);
  return { onnx: `${base}.onnx`, meta: `${base}.json` };
}

/** The cached trunk, if it was converted (and checked) by this converter version. */
export function cachedTrunk(home: string, trunk: TrunkName, cut: string): TrunkArtifact | null {
  const paths = artifactPaths(home, trunk, cut);
  if (!existsSync(paths.meta) || !existsSync(paths.onnx)) return null;
  const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as TrunkArtifact;
  return meta.converterVersion === CONVERTER_VERSION && meta.check.passed ? meta : null;
}

/**
 * Converts a trunk shipped in nsfwjs to ONNX under GROKCAT_HOME/models, checks it against the
 * original Keras model on synthetic and (optionally) real images, and caches the result. A trunk
 * that fails the check is never written.
 */
export async function importTrunk(args: {
  home: string;
  trunk: TrunkName;
  cut?: string;
  log: Logger;
  realImages?: { nhwc: Float32Array; n: number }[];
  force?: boolean;
}): Promise<TrunkArtifact & { cached: boolean }> {
  const { home, trunk, log } = args;
  const cut = args.cut ?? DEFAULT_CUTS[trunk];
  const cached = args.force ? null : cachedTrunk(home, trunk, cut);
  if (cached) return { ...cached, cached: true };

  const started = Date.now();
  const converted = convertKerasTrunk(loadNsfwjsModel(trunk), cut);
  converted.graph.output(converted.output, ['N', ...converted.featureShape]);
  const bytes = converted.graph.toBytes({ 'grokcat.trunk': trunk, 'grokcat.cut': cut });
  const size = converted.inputSize;
  const check = await checkConversion(
    trunk,
    cut,
    bytes,
    converted.output,
    [{ nhwc: syntheticImages(2, size), n: 2 }, ...(args.realImages ?? [])],
    size,
  );
  log.info({ trunk, cut, ...check, ms: Date.now() - started }, 'trunk converted and checked against Keras');
  if (!check.passed) {
    throw new GrokcatError(
      'MODEL_CONVERSION_FAILED',
      `${trunk} cut at ${cut}: relative error ${check.maxRelativeError} exceeds ${MAX_RELATIVE_ERROR}`,
      { details: { ...check } },
    );
  }
  const paths = artifactPaths(home, trunk, cut);
  mkdirSync(path.dirname(paths.onnx), { recursive: true });
  writeFileSync(`${paths.onnx}.tmp`, bytes);
  renameSync(`${paths.onnx}.tmp`, paths.onnx);
  const artifact: TrunkArtifact = {
    trunk,
    cut,
    onnxPath: paths.onnx,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    inputSize: size,
    featureShape: converted.featureShape,
    featureOutput: converted.output,
    macs: converted.macs,
    converterVersion: CONVERTER_VERSION,
    check,
    convertedAt: new Date().toISOString(),
  };
  writeFileSync(paths.meta, `${JSON.stringify(artifact, null, 2)}\n`);
  return { ...artifact, cached: false };
}
