import type { Logger } from '../log/logger.ts';
import type { ModelRuntime } from '../model/model-runtime.ts';
import { isKnown } from '../model/postprocess.ts';
import { prepareInput } from './dataset-features.ts';
import { cardVocabulary, scoreOutputs } from './evaluate-heads.ts';
import type { HeadOutputs } from './head-outputs.ts';
import type { LabelledDataset } from './labelled-dataset.ts';
import { planRows } from './training-rows.ts';

export interface DatasetEvaluation {
  dataset: string;
  model_version: string;
  images: number;
  retrieval: { protocol: 'photos' | 'views' | 'none'; queries: number; gallery: number };
  metrics: Record<string, number>;
  /** Evaluation images the model declares unknown (open-set models; 0 for the others). */
  unknown_rate: number;
  images_per_second: number;
}

/** Images in flight: enough to fill the runtime's batches. */
const WINDOW = 64;

/**
 * Any model that meets the model contract, evaluated on a labelled dataset's evaluation split
 * through the serving runtime (same preparation, same batched ONNX session): the trainer's gated
 * metrics, with the retrieval protocol of `planRows` (other photos of a product -> one gallery
 * image per product, or augmented views -> originals).
 */
export async function evaluateModelOnDataset(args: {
  runtime: ModelRuntime;
  dataset: LabelledDataset;
  maxPixels: number;
  log: Logger;
  onProgress?: (done: number, total: number) => void;
}): Promise<DatasetEvaluation> {
  const { runtime, dataset } = args;
  const { card } = runtime.files;
  const vocabulary = cardVocabulary(card);
  const plan = planRows(dataset, false);
  const evaluated = [...plan.evaluation, ...plan.queries.filter((row) => plan.rows[row]?.view)];
  const widths = {
    embedding: card.embedding_dim,
    category: vocabulary.categories.length,
    attributes: vocabulary.attributes.length,
    queries: vocabulary.queries.length,
  };
  const all = {
    embedding: new Float32Array(evaluated.length * widths.embedding),
    category: new Float32Array(evaluated.length * widths.category),
    attributes: new Float32Array(evaluated.length * widths.attributes),
    queries: new Float32Array(evaluated.length * widths.queries),
  };
  const { size, fit, mean, std } = card.input;
  let unknown = 0;
  const started = performance.now();
  for (let start = 0; start < evaluated.length; start += WINDOW) {
    const slice = evaluated.slice(start, start + WINDOW);
    await Promise.all(
      slice.map(async (row, k) => {
        const request = plan.rows[row];
        if (!request) return;
        const raw = await runtime.infer(
          await prepareInput(request, { size, fit, mean, std }, args.maxPixels),
        );
        const i = start + k;
        if (i < plan.evaluation.length && !isKnown(card, raw.novelty)) unknown += 1;
        for (const name of ['embedding', 'category', 'attributes', 'queries'] as const)
          all[name].set(raw[name].subarray(0, widths[name]), i * widths[name]);
      }),
    );
    args.onProgress?.(start + slice.length, evaluated.length);
  }
  const seconds = (performance.now() - started) / 1000;
  const count = plan.evaluation.length;
  const head = (name: keyof typeof widths, from: number, to: number) =>
    all[name].subarray(from * widths[name], to * widths[name]);
  const outputs: HeadOutputs = {
    rows: count,
    embedding: head('embedding', 0, count),
    category: head('category', 0, count),
    attributes: head('attributes', 0, count),
    queries: head('queries', 0, count),
  };
  const scored = scoreOutputs({
    vocabulary,
    dataset,
    plan,
    keep: () => true,
    outputs,
    extraEmbeddings: { rows: evaluated.slice(count), embeddings: head('embedding', count, evaluated.length) },
  });
  args.log.info({ dataset: dataset.name, metrics: scored.metrics }, 'evaluated the model on a dataset');
  return {
    dataset: dataset.name,
    model_version: runtime.version,
    images: count,
    retrieval: {
      protocol: plan.retrieval,
      queries: plan.queries.length,
      gallery: plan.gallery.length,
    },
    metrics: scored.metrics,
    unknown_rate: Number((unknown / Math.max(1, count)).toFixed(4)),
    images_per_second: Math.round(evaluated.length / Math.max(seconds, 1e-9)),
  };
}
