import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../../shared/config/load-config.ts';
import { decodeImage } from '../../../shared/image/image-decoder.ts';
import type { ModelFiles } from '../../../shared/model/model-store.ts';
import { writeBenchPhotos } from '../faults/fault-bench.ts';
import { bare } from '../inference-bench.ts';

export interface PipelineParts {
  photos: number;
  decode_ms_per_image: number;
  inference_ms_per_image: number;
  /** Listings/s if a listing (one photo) cost exactly its decode plus its inference, nothing else. */
  parts_bound_per_s: number;
  note: string;
}

/**
 * The pipeline's own parts, measured alone on the photos the pipeline benchmark lists: decoding
 * (sharp: bytes to the model's normalised 224 x 224 input, one image at a time) and inference
 * (bare ONNX Runtime at batch 8, its best batch here). Their sum per image bounds what the whole
 * pipeline can do on this machine if nothing else cost anything.
 */
export async function measurePipelineParts(
  files: ModelFiles,
  config: Config,
  dir: string,
): Promise<PipelineParts> {
  const count = 64;
  await writeBenchPhotos(dir, count);
  const photos = Array.from({ length: count }, (_, i) => readFileSync(path.join(dir, `p${i}.png`)));
  const { input } = files.card;
  const options = {
    size: input.size,
    fit: input.fit,
    mean: input.mean,
    std: input.std,
    maxPixels: config.model.maxPixels,
  };
  await decodeImage(photos[0] as Buffer, options);
  const started = performance.now();
  for (const photo of photos) await decodeImage(photo, options);
  const decodeMs = (performance.now() - started) / count;
  const inferenceMs = 1000 / (await bare(files, 'cpu', config, 8));
  return {
    photos: count,
    decode_ms_per_image: Number(decodeMs.toFixed(2)),
    inference_ms_per_image: Number(inferenceMs.toFixed(2)),
    parts_bound_per_s: Number((1000 / (decodeMs + inferenceMs)).toFixed(1)),
    note: 'decode: one image at a time; inference: bare session.run at batch 8; one photo per listing',
  };
}
