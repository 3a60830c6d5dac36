import type { HeadWeights } from '../model/grok/head-weights.ts';
import { attributeLabels, type ModelCard } from '../model/grok/model-card.ts';
import { meanAveragePrecision, recallAtK, retrievalRecallAt1, topKAccuracy } from './evaluation-metrics.ts';
import { embeddingsOf, type HeadOutputs, headOutputs, pickRows } from './head-outputs.ts';
import { attributeKey, flatAttributes, type LabelledDataset } from './labelled-dataset.ts';
import type { RowPlan, TrainingRow } from './training-rows.ts';

/** Metrics of the trainer's gate; higher is better for each. */
export const GATED_METRICS = [
  'category_top1',
  'category_top5',
  'attribute_map',
  'query_recall_at_10',
  'product_recall_at_1',
] as const;

export interface Vocabulary {
  categories: string[];
  attributes: string[];
  queries: string[];
}

export const datasetVocabulary = (dataset: LabelledDataset): Vocabulary => ({
  categories: dataset.categories,
  attributes: flatAttributes(dataset),
  queries: dataset.queries,
});

export const cardVocabulary = (card: ModelCard): Vocabulary => ({
  categories: card.categories.labels,
  attributes: attributeLabels(card).map((a) => attributeKey(a.group, a.label)),
  queries: card.queries.vocabulary,
});

/** Columns of `matrix` (labelled `from`) rearranged to the labels `to`; a label it lacks scores 0. */
export function remapColumns(matrix: Float32Array, from: string[], to: string[]): Float32Array {
  const rows = matrix.length / Math.max(1, from.length);
  const index = to.map((label) => from.indexOf(label));
  const out = new Float32Array(rows * to.length);
  for (let r = 0; r < rows; r++)
    index.forEach((source, j) => {
      if (source >= 0) out[r * to.length + j] = matrix[r * from.length + source] as number;
    });
  return out;
}

/**
 * Every gated metric of heads (whose labels are `vocabulary`) on a run's evaluation rows, judged
 * against the dataset's labels: category top-1/top-5 (a category the heads do not know counts as
 * wrong), attribute mAP, query recall@10 and, when the dataset has products, retrieval recall@1.
 */
export function evaluateHeads(args: {
  heads: HeadWeights;
  vocabulary: Vocabulary;
  dataset: LabelledDataset;
  plan: RowPlan;
  features: Float32Array;
  dims: number;
  keep: (row: number) => boolean;
}): Scored {
  const { plan, dims } = args;
  const rows = plan.evaluation.filter(args.keep);
  const outputs = headOutputs(pickRows(args.features, dims, rows), rows.length, args.heads);
  // Gallery and photo queries are evaluation rows, already embedded; only augmented views are new.
  const views = plan.queries.filter((row) => args.keep(row) && (plan.rows[row] as TrainingRow).view);
  const viewEmbeddings = embeddingsOf(
    pickRows(args.features, dims, views),
    views.length,
    args.heads.embedding,
  );
  return scoreOutputs({
    vocabulary: args.vocabulary,
    dataset: args.dataset,
    plan,
    keep: args.keep,
    outputs,
    extraEmbeddings: { rows: views, embeddings: viewEmbeddings },
  });
}

export interface Scored {
  metrics: Record<string, number>;
  /** The evaluation rows judged (duplicates of training images left out) and the outputs on them. */
  rows: number[];
  outputs: HeadOutputs;
  categoryScores: Float32Array;
  categoryLabels: Int32Array;
}

/**
 * The gated metrics of outputs (labelled `vocabulary`) on the kept evaluation rows of a plan, in
 * order; `extraEmbeddings` holds the embeddings of retrieval queries that are not evaluation rows
 * (augmented views).
 */
export function scoreOutputs(args: {
  vocabulary: Vocabulary;
  dataset: LabelledDataset;
  plan: RowPlan;
  keep: (row: number) => boolean;
  outputs: HeadOutputs;
  extraEmbeddings: { rows: number[]; embeddings: Float32Array };
}): Scored {
  const { plan, dataset, outputs } = args;
  const target = datasetVocabulary(dataset);
  const rows = plan.evaluation.filter(args.keep);
  const categoryScores = remapColumns(outputs.category, args.vocabulary.categories, target.categories);
  const image = (row: number) => (plan.rows[row] as TrainingRow).image;
  const categoryLabels = Int32Array.from(rows, (row) => {
    const label = image(row).category;
    if (label === null) return -1;
    const index = target.categories.indexOf(label);
    return index === -1 ? target.categories.length : index;
  });
  const multiHot = (field: 'attributes' | 'queries', vocabulary: string[]) =>
    Float32Array.from(rows.flatMap((row) => vocabulary.map((v) => (image(row)[field].includes(v) ? 1 : 0))));
  const judged = rows.filter((row) => image(row).category !== null);
  const metrics: Record<string, number> = {
    category_top1: topKAccuracy(categoryScores, target.categories.length, categoryLabels, 1),
    // The share of judged rows whose category the heads have at all: no score can pass it.
    category_ceiling:
      judged.length === 0
        ? 0
        : judged.filter((row) => args.vocabulary.categories.includes(image(row).category as string)).length /
          judged.length,
    category_top5: topKAccuracy(categoryScores, target.categories.length, categoryLabels, 5),
    attribute_map: meanAveragePrecision(
      remapColumns(outputs.attributes, args.vocabulary.attributes, target.attributes),
      multiHot('attributes', target.attributes),
      Math.max(1, target.attributes.length),
    ),
    query_recall_at_10: recallAtK(
      remapColumns(outputs.queries, args.vocabulary.queries, target.queries),
      multiHot('queries', target.queries),
      Math.max(1, target.queries.length),
      10,
    ),
  };
  if (plan.retrieval !== 'none') {
    const queries = plan.queries.filter(args.keep);
    const gallery = plan.gallery.filter(args.keep);
    const width = outputs.embedding.length / Math.max(1, rows.length);
    const sources = new Map<number, [Float32Array, number]>([
      ...rows.map((row, i): [number, [Float32Array, number]] => [row, [outputs.embedding, i]]),
      ...args.extraEmbeddings.rows.map((row, i): [number, [Float32Array, number]] => [
        row,
        [args.extraEmbeddings.embeddings, i],
      ]),
    ]);
    const embed = (list: number[]) => {
      const out = new Float32Array(list.length * width);
      list.forEach((row, i) => {
        const [source, k] = sources.get(row) as [Float32Array, number];
        out.set(source.subarray(k * width, (k + 1) * width), i * width);
      });
      return out;
    };
    metrics.product_queries = queries.length;
    metrics.product_recall_at_1 = retrievalRecallAt1({
      queries: embed(queries),
      queryProducts: queries.map((row) => image(row).product ?? ''),
      gallery: embed(gallery),
      galleryProducts: gallery.map((row) => image(row).product ?? ''),
      dims: width,
    });
  }
  for (const [name, value] of Object.entries(metrics)) metrics[name] = Number(value.toFixed(4));
  return { metrics, rows, outputs, categoryScores, categoryLabels };
}

/**
 * The gate: the candidate passes when its category top-1 beats the nearest-class-mean baseline of
 * the same rows (unless it already sits at the ceiling) and no metric both have falls more than
 * `tolerance` below the serving one.
 */
export function gate(
  candidate: Record<string, number>,
  serving: Record<string, number> | null,
  tolerance: number,
): {
  pass: boolean;
  regressions: { metric: string; candidate: number; serving: number }[];
  below_baseline: { metric: string; candidate: number; baseline: string; value: number }[];
} {
  const top1 = candidate.category_top1;
  const ncm = candidate.category_ncm_top1;
  const atCeiling = top1 !== undefined && top1 >= (candidate.category_ceiling ?? 1);
  const below_baseline =
    top1 !== undefined && ncm !== undefined && top1 <= ncm && !atCeiling
      ? [{ metric: 'category_top1', candidate: top1, baseline: 'category_ncm_top1', value: ncm }]
      : [];
  const regressions = serving
    ? GATED_METRICS.filter(
        (m) =>
          candidate[m] !== undefined &&
          serving[m] !== undefined &&
          (candidate[m] as number) < (serving[m] as number) - tolerance,
      ).map((metric) => ({
        metric,
        candidate: candidate[metric] as number,
        serving: serving[metric] as number,
      }))
    : [];
  return { pass: regressions.length === 0 && below_baseline.length === 0, regressions, below_baseline };
}
