import { readFile } from 'node:fs/promises';
import { decodeImage } from '../../shared/image/image-decoder.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { createOnnxSession } from '../../shared/model/onnx-session.ts';
import { convertKerasTrunk } from '../../shared/model/trunk/keras-to-onnx.ts';
import { loadNsfwjsModel, type TrunkName } from '../../shared/model/trunk/nsfwjs-models.ts';
import { datasetImagePath, readDataset } from './datasets.ts';
import { gemPool, l2Normalize, nearestNeighbourAccuracy } from './feature-eval.ts';

/** What each dataset's nearest neighbour must share: same product (instance) or same type. */
const TASKS = [
  { dataset: 'grocery-store', label: 'product_id', task: 'same product' },
  { dataset: 'fashion-small', label: 'article_type', task: 'same article type' },
  { dataset: 'ikea-catalog', label: 'product_type', task: 'same product type' },
] as const;

export const CANDIDATE_CUTS: Record<TrunkName, string[]> = {
  // block_10 is the last frozen ImageNet block; blocks 11-16 and out_relu were fine-tuned for NSFW.
  mobilenet_v2: ['block_10_expand_relu', 'block_13_expand_relu', 'block_16_project_BN', 'out_relu'],
  inception_v3: ['mixed7', 'mixed9', 'mixed10'],
};

export const NORMALISATIONS = {
  'nsfwjs [0,1]': { mean: [0, 0, 0], std: [1, 1, 1] },
  'imagenet [-1,1]': { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
} as const;

export interface CutResult {
  trunk: TrunkName;
  normalisation: string;
  features: string;
  dimension: number;
  dataset: string;
  split: string;
  task: string;
  images: number;
  nn_accuracy: number;
}

/**
 * Which trunk cut gives the best product features: every candidate feature map (and the
 * concatenation of the last frozen one with out_relu), GeM-pooled (p = 3) and L2-normalised, judged
 * by leave-one-out nearest-neighbour accuracy on the labelled photo sets, per split.
 */
export async function benchTrunkCuts(args: {
  trunk: TrunkName;
  limit: number;
  datasetsDir: string;
  log: Logger;
  normalisations?: (keyof typeof NORMALISATIONS)[];
  onProgress?: (done: number, total: number) => void;
}) {
  const { trunk, limit, datasetsDir, log } = args;
  const normalisations =
    args.normalisations ?? (Object.keys(NORMALISATIONS) as (keyof typeof NORMALISATIONS)[]);
  const cuts = CANDIDATE_CUTS[trunk];
  const converted = convertKerasTrunk(loadNsfwjsModel(trunk), cuts);
  for (const map of converted.featureMaps) converted.graph.output(map.tensor, ['N', ...map.shape]);
  const session = await createOnnxSession(converted.graph.toBytes(), {
    executionProviders: ['cpu'],
    intraOpThreads: 0,
    interOpThreads: 1,
  });
  const size = converted.inputSize;
  const results: CutResult[] = [];
  let imagesPerSecond = 0;
  try {
    const steps = normalisations.length * TASKS.length * 2;
    let step = 0;
    for (const normalisation of normalisations) {
      const norm = NORMALISATIONS[normalisation];
      for (const { dataset, label, task } of TASKS) {
        for (const split of ['dev', 'test']) {
          args.onProgress?.(step++, steps);
          const rows = readDataset(dataset, datasetsDir)
            .filter((row) => row.split === split)
            .sort((a, b) => (a[label] ?? '').localeCompare(b[label] ?? ''))
            .slice(0, limit);
          const pooled = new Map<string, Float32Array[]>(cuts.map((cut) => [cut, []]));
          const started = Date.now();
          for (let start = 0; start < rows.length; start += 16) {
            const batch = rows.slice(start, start + 16);
            const decoded = await Promise.all(
              batch.map(async (row) =>
                decodeImage(await readFile(datasetImagePath(dataset, row.image, datasetsDir)), {
                  size,
                  fit: 'contain',
                  maxPixels: 50e6,
                  mean: [...norm.mean],
                  std: [...norm.std],
                }),
              ),
            );
            const input = new Float32Array(batch.length * 3 * size * size);
            decoded.forEach((image, i) => {
              input.set(image.chw, i * image.chw.length);
            });
            const out = await session.run({ image: { data: input, dims: [batch.length, 3, size, size] } });
            for (const map of converted.featureMaps) {
              const data = out[map.tensor]?.data as Float32Array;
              const per = map.shape[0] * map.shape[1] * map.shape[2];
              for (let b = 0; b < batch.length; b++) {
                pooled
                  .get(map.layer)
                  ?.push(l2Normalize(gemPool(data.subarray(b * per, (b + 1) * per), map.shape[0])));
              }
            }
          }
          imagesPerSecond = rows.length / ((Date.now() - started) / 1000);
          const labels = rows.map((row) => row[label] ?? '');
          const variants: [string, Float32Array[]][] = cuts.map((cut) => [cut, pooled.get(cut) ?? []]);
          const [firstCut, lastCut] = [cuts[0] as string, cuts.at(-1) as string];
          variants.push([
            `${firstCut} + ${lastCut}`,
            (pooled.get(firstCut) ?? []).map((a, i) => {
              const b = pooled.get(lastCut)?.[i] ?? new Float32Array();
              const joined = new Float32Array(a.length + b.length);
              joined.set(a);
              joined.set(b, a.length);
              return l2Normalize(joined);
            }),
          ]);
          for (const [features, vectors] of variants) {
            results.push({
              trunk,
              normalisation,
              features,
              dimension: vectors[0]?.length ?? 0,
              dataset,
              split,
              task,
              images: vectors.length,
              nn_accuracy: Number(nearestNeighbourAccuracy(vectors, labels).toFixed(4)),
            });
          }
          log.info(
            {
              normalisation,
              dataset,
              split,
              images: rows.length,
              imagesPerSecond: Math.round(imagesPerSecond),
            },
            'trunk features judged',
          );
        }
      }
    }
  } finally {
    await session.release();
  }
  return { trunk, macs: converted.macs, imagesPerSecond: Math.round(imagesPerSecond), results };
}
