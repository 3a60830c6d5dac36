import { createRequire } from 'node:module';
import path from 'node:path';
import { GrokcatError } from '../../errors/error-catalogue.ts';

const require = createRequire(import.meta.url);

export type TrunkName = 'mobilenet_v2' | 'inception_v3';

export interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  /** [[[inboundLayer, nodeIndex, tensorIndex, kwargs], ...]] */
  inbound_nodes: [string, number, number, unknown][][];
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min: number; scale: number; dtype: 'uint8' | 'uint16' };
}

export interface KerasModel {
  name: TrunkName;
  /** Keras 2.2.4 model config as nsfwjs ships it. */
  modelTopology: { keras_version: string; model_config: { config: { layers: KerasLayer[] } } };
  weightSpecs: WeightSpec[];
  /** The weight bytes, concatenated in weightSpecs order (still quantized). */
  weightData: ArrayBuffer;
  /** Dequantized weights by name, for the converter. */
  weights: Map<string, { shape: number[]; values: Float32Array }>;
}

/** nsfwjs hides its model files behind its `exports`: find the folder from its entry point. */
export function nsfwjsModelsDir(): string {
  let entry: string;
  try {
    entry = require.resolve('nsfwjs');
  } catch (error) {
    throw new GrokcatError('MODEL_INVALID', 'the npm package nsfwjs is not installed: run npm ci', {
      cause: error,
    });
  }
  let dir = path.dirname(entry);
  while (path.basename(dir) !== 'dist' && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return path.join(dir, 'models');
}

/** Loads a Keras model shipped in nsfwjs: its topology and its uint8-quantized weight shards. */
export function loadNsfwjsModel(name: TrunkName): KerasModel {
  const dir = path.join(nsfwjsModelsDir(), name);
  const model = require(path.join(dir, 'model.min.js')) as {
    modelTopology: KerasModel['modelTopology'];
    weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  };
  const weightSpecs = model.weightsManifest.flatMap((group) => group.weights);
  const shards = model.weightsManifest.flatMap((group) =>
    group.paths.map((shard) => Buffer.from(require(path.join(dir, `${shard}.min.js`)) as string, 'base64')),
  );
  const bytes = Buffer.concat(shards);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return {
    name,
    modelTopology: model.modelTopology,
    weightSpecs,
    weightData,
    weights: dequantize(weightSpecs, bytes),
  };
}

function dequantize(specs: WeightSpec[], bytes: Buffer): KerasModel['weights'] {
  const weights: KerasModel['weights'] = new Map();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    const q = spec.quantization;
    if (q?.dtype === 'uint8') {
      for (let i = 0; i < size; i++) values[i] = (bytes[offset + i] as number) * q.scale + q.min;
      offset += size;
    } else if (q?.dtype === 'uint16') {
      for (let i = 0; i < size; i++) values[i] = bytes.readUInt16LE(offset + 2 * i) * q.scale + q.min;
      offset += 2 * size;
    } else {
      for (let i = 0; i < size; i++) values[i] = bytes.readFloatLE(offset + 4 * i);
      offset += 4 * size;
    }
    weights.set(spec.name, { shape: spec.shape, values });
  }
  return weights;
}
