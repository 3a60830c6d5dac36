import { readFileSync, writeFileSync } from 'node:fs';
import { GrokcatError } from '../../errors/error-catalogue.ts';

/** A dense layer y = x W + b with W stored row-major [inputs, outputs]. */
export interface Dense {
  inputs: number;
  outputs: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** What the trainer learns on top of the frozen trunk: GeM's p, the embedding projection and the heads. */
export interface HeadWeights {
  gemP: number;
  embedding: Dense;
  category: Dense;
  attributes: Dense;
  queries: Dense;
  /** The open-set layer (open-set.ts): novelty = mean((h P + b)^2); absent in older models. */
  novelty?: Dense;
}

const HEADS = ['embedding', 'category', 'attributes', 'queries', 'novelty'] as const;

/**
 * Head weights on disk: a small JSON manifest (`<file>.json`) and one little-endian float32 blob
 * (`<file>.bin`), so they diff as metadata and load without parsing megabytes of JSON.
 */
export function saveHeadWeights(file: string, heads: HeadWeights): void {
  const manifest: Record<string, unknown> = { format: 'grokcat-heads/1', gem_p: heads.gemP, tensors: {} };
  const parts: Buffer[] = [];
  let offset = 0;
  for (const name of HEADS) {
    const dense = heads[name];
    if (!dense) continue;
    (manifest.tensors as Record<string, unknown>)[name] = {
      inputs: dense.inputs,
      outputs: dense.outputs,
      offset,
    };
    for (const array of [dense.weight, dense.bias]) {
      parts.push(Buffer.from(array.buffer, array.byteOffset, array.byteLength));
      offset += array.length;
    }
  }
  writeFileSync(`${file}.bin`, Buffer.concat(parts));
  writeFileSync(`${file}.json`, `${JSON.stringify(manifest, null, 2)}\n`);
}

export function loadHeadWeights(file: string): HeadWeights {
  const manifest = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as {
    format: string;
    gem_p: number;
    tensors: Record<string, { inputs: number; outputs: number; offset: number }>;
  };
  if (manifest.format !== 'grokcat-heads/1')
    throw new GrokcatError('MODEL_INVALID', `${file}.json is not a grokcat-heads/1 file`);
  const bytes = readFileSync(`${file}.bin`);
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const dense = (name: string): Dense => {
    const spec = manifest.tensors[name];
    if (!spec) throw new GrokcatError('MODEL_INVALID', `${file}: no ${name} head`);
    const size = spec.inputs * spec.outputs;
    return {
      inputs: spec.inputs,
      outputs: spec.outputs,
      weight: floats.slice(spec.offset, spec.offset + size),
      bias: floats.slice(spec.offset + size, spec.offset + size + spec.outputs),
    };
  };
  return {
    gemP: manifest.gem_p,
    embedding: dense('embedding'),
    category: dense('category'),
    attributes: dense('attributes'),
    queries: dense('queries'),
    ...(manifest.tensors.novelty ? { novelty: dense('novelty') } : {}),
  };
}
