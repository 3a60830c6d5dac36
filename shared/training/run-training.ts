import type { Knex } from 'knex';
import type { Logger } from '../log/logger.ts';
import type { Dense, HeadWeights } from '../model/grok/head-weights.ts';
import type { ModelCard } from '../model/grok/model-card.ts';
import {
  EMBEDDING_DIM,
  REFERENCE_TRUNK,
  randomOrthogonalProjection,
} from '../model/reference/train-reference-heads.ts';
import type { TrunkName } from '../model/trunk/nsfwjs-models.ts';
import type { IsotonicMap } from './calibration.ts';
import { type CleaningReport, contradictedLabels, duplicatesAcrossSplits } from './dataset-cleaning.ts';
import { extractFeatures } from './dataset-features.ts';
import {
  cardVocabulary,
  datasetVocabulary,
  evaluateHeads,
  remapColumns,
  type Vocabulary,
} from './evaluate-heads.ts';
import { createFeatureExtractor } from './feature-extractor.ts';
import { categoryProbabilities, pickRows } from './head-outputs.ts';
import type { LabelledDataset } from './labelled-dataset.ts';
import { learnedWhitening } from './learned-whitening.ts';
import { fitOpenSet } from './open-set.ts';
import { calibrateRun } from './run-calibration.ts';
import { sanityMetrics } from './sanity-metrics.ts';
import { type HeadSelection, type TrainOptions, trainHeads } from './train-heads.ts';
import { planRows, type TrainingRow } from './training-rows.ts';

/**
 * GeM's p is fixed: the cache holds pooled features, not the 14x14x576 maps p would be learned
 * from (about 113 KB per image in half precision, 6.8 GB for Fashion-MNIST), so p cannot move
 * without re-running the trunk every epoch. See docs/training.md.
 */
export const GEM_P = 3;

export interface TrainingSettings
  extends Pick<
    TrainOptions,
    'epochs' | 'batchSize' | 'learningRate' | 'weights' | 'arcface' | 'pairwise' | 'seed' | 'backend'
  > {
  losses: 'all' | 'softmax';
  targetPrecision: number;
  nearDuplicateCosine: number;
  contradictionConfidence: number;
  /** Shrinkage of the within-product covariance of the learned whitening (see learned-whitening.ts). */
  whiteningShrinkage: number;
  maxPixels: number;
}

/** The serving model, when its heads sit on the same trunk: warm start, label checks and the gate's baseline. */
export interface ServingHeads {
  card: ModelCard;
  heads: HeadWeights;
}

export interface TrainingRun {
  heads: HeadWeights;
  /** Learning rate and epochs chosen on validation rows carved from the training rows. */
  selection: HeadSelection;
  /** Novelty above which a photo is declared unknown (heads.novelty computes it). */
  openSet: { threshold: number; chosen_on: string };
  metrics: Record<string, number>;
  /** The serving heads' metrics on the same evaluation rows (null: no comparable serving model). */
  servingMetrics: Record<string, number> | null;
  calibration: IsotonicMap;
  attributeThresholds: number[];
  queryThresholds: number[];
  cleaning: CleaningReport;
  trainRows: number;
  evalRows: number;
  /** The embedding projection was trained (a new embedding space) rather than carried over. */
  embeddingTrained: boolean;
  /**
   * Where the trained projection started: the learned whitening of the product identities, and its
   * retrieval recall@1 before the ArcFace and pairwise losses fine-tuned it (the losses' share).
   */
  embeddingStart: { init: 'carried-over' | 'learned-whitening'; productRecallAt1: number | null };
  extractor: { id: string; inputSize: number; macs: number; trunk: TrunkName; cut: string };
}

/** Columns of a serving head for new labels: the serving column where the label is known, else zeros. */
function alignHead(dense: Dense, from: string[], to: string[]): Dense {
  const weight = remapColumns(dense.weight, from, to);
  return { inputs: dense.inputs, outputs: to.length, weight, bias: remapColumns(dense.bias, from, to) };
}

const multiHot = (rows: TrainingRow[], field: 'attributes' | 'queries', vocabulary: string[]) =>
  Float32Array.from(rows.flatMap((row) => vocabulary.map((v) => (row.image[field].includes(v) ? 1 : 0))));

/**
 * One training run on a labelled dataset: shared features (cached), cleaning, the heads trained
 * with GrokNet's losses on the training split, metrics on the evaluation split for the candidate
 * and the serving heads, then calibration and per-label thresholds fitted on half of the
 * evaluation rows (the other half measures the calibration).
 */
export async function runTraining(args: {
  dataset: LabelledDataset;
  settings: TrainingSettings;
  serving: ServingHeads | null;
  knex: Knex;
  log: Logger;
  onProgress?: (stage: string, done: number, total: number) => void;
}): Promise<TrainingRun> {
  const { dataset, settings, log } = args;
  const trunk = { name: REFERENCE_TRUNK.name as TrunkName, cut: REFERENCE_TRUNK.cut as string };
  const extractor = await createFeatureExtractor(trunk.name, trunk.cut, GEM_P);
  const serving =
    args.serving?.card.trunk.name === trunk.name &&
    args.serving.card.trunk.cut === trunk.cut &&
    args.serving.card.gem_p === GEM_P
      ? args.serving
      : null;
  const productLosses =
    settings.losses === 'all' && (settings.weights.arcface > 0 || settings.weights.pairwise > 0);
  const plan = planRows(dataset, productLosses);
  let features: Float32Array;
  try {
    features = await extractFeatures({
      requests: plan.rows,
      extractor,
      knex: args.knex,
      log,
      maxPixels: settings.maxPixels,
      onProgress: (done, total) => args.onProgress?.('features', done, total),
    });
  } finally {
    await extractor.release();
  }
  const dims = extractor.dims;
  const keys = plan.rows.map((r) => r.key);
  const originals = (list: number[]) => list.filter((row) => !plan.rows[row]?.view);
  const duplicates = duplicatesAcrossSplits({
    features,
    dims,
    keys,
    train: originals(plan.train),
    evaluation: plan.evaluation,
    threshold: settings.nearDuplicateCosine,
  });
  const droppedKeys = new Set([...duplicates.exact, ...duplicates.near].map((row) => keys[row]));
  const keepEval = (row: number) => !droppedKeys.has(keys[row]);
  let trainRows = plan.train;
  let contradicted: number[] = [];
  if (serving) {
    const probabilities = categoryProbabilities(
      pickRows(features, dims, trainRows),
      trainRows.length,
      serving.heads.category,
    );
    contradicted = contradictedLabels({
      probabilities,
      servingLabels: serving.card.categories.labels,
      rows: trainRows,
      labels: plan.rows.map((r) => r.image.category),
      confidence: settings.contradictionConfidence,
    });
    const flagged = new Set(contradicted.map((row) => keys[row]));
    trainRows = trainRows.filter((row) => !flagged.has(keys[row]));
  }
  const cleaning: CleaningReport = {
    exact_duplicates: duplicates.exact.size,
    near_duplicates: duplicates.near.size,
    contradicted_labels: contradicted.length,
    contradicted_examples: contradicted.slice(0, 20).map((row) => plan.rows[row]?.image.key ?? ''),
  };
  log.info({ ...cleaning, contradicted_examples: undefined }, 'cleaned the dataset');

  const vocabulary: Vocabulary = datasetVocabulary(dataset);
  const rows = trainRows.map((row) => plan.rows[row] as TrainingRow);
  const productCounts = new Map<string, number>();
  for (const row of rows)
    if (row.image.product)
      productCounts.set(row.image.product, (productCounts.get(row.image.product) ?? 0) + 1);
  const products = productLosses
    ? [...productCounts.keys()].filter((p) => (productCounts.get(p) ?? 0) >= 2)
    : [];
  const productIndex = new Map(products.map((p, i) => [p, i]));
  const weights =
    settings.losses === 'all'
      ? settings.weights
      : { category: 1, attributes: 0, queries: 0, arcface: 0, pairwise: 0 };
  const servingVocabulary = serving ? cardVocabulary(serving.card) : null;
  const carried: Dense = serving?.heads.embedding ?? {
    inputs: dims,
    outputs: EMBEDDING_DIM,
    weight: randomOrthogonalProjection(dims, EMBEDDING_DIM, 2020),
    bias: new Float32Array(EMBEDDING_DIM),
  };
  const trainFeatures = pickRows(features, dims, trainRows);
  const productOfRow = Int32Array.from(rows, (row) => productIndex.get(row.image.product ?? '') ?? -1);
  // A new projection starts from the closed-form estimate of the product labels, then the losses tune it.
  const embedding: Dense =
    products.length > 0
      ? learnedWhitening({
          features: trainFeatures,
          dims,
          products: productOfRow,
          outputs: carried.outputs,
          shrinkage: settings.whiteningShrinkage,
          seed: settings.seed,
        })
      : carried;
  const categoryOfRow = Int32Array.from(rows, (row) =>
    row.image.category ? vocabulary.categories.indexOf(row.image.category) : -1,
  );
  const { heads, selection } = await trainHeads(
    {
      features: trainFeatures,
      count: rows.length,
      dims,
      categories: categoryOfRow,
      categoryCount: vocabulary.categories.length,
      attributes: multiHot(rows, 'attributes', vocabulary.attributes),
      attributeCount: vocabulary.attributes.length,
      queries: multiHot(rows, 'queries', vocabulary.queries),
      queryCount: vocabulary.queries.length,
      products: productOfRow,
      productCount: products.length,
    },
    {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      weights,
      embedding,
      embeddingDim: embedding.outputs,
      gemP: GEM_P,
      arcface: settings.arcface,
      pairwise: settings.pairwise,
      seed: settings.seed,
      ...(settings.backend ? { backend: settings.backend } : {}),
      ...(serving && servingVocabulary
        ? {
            initial: {
              category: alignHead(
                serving.heads.category,
                servingVocabulary.categories,
                vocabulary.categories,
              ),
              attributes: alignHead(
                serving.heads.attributes,
                servingVocabulary.attributes,
                vocabulary.attributes,
              ),
              queries: alignHead(serving.heads.queries, servingVocabulary.queries, vocabulary.queries),
            },
          }
        : {}),
      onProgress: (done, total) => args.onProgress?.('epochs', done, total),
      log,
    },
  );
  const embeddingTrained = products.length > 0;

  const evaluation = evaluateHeads({ heads, vocabulary, dataset, plan, features, dims, keep: keepEval });
  const embeddingStart: TrainingRun['embeddingStart'] = embeddingTrained
    ? {
        init: 'learned-whitening',
        productRecallAt1:
          evaluateHeads({
            heads: { ...heads, embedding },
            vocabulary,
            dataset,
            plan,
            features,
            dims,
            keep: keepEval,
          }).metrics.product_recall_at_1 ?? null,
      }
    : { init: 'carried-over', productRecallAt1: null };
  const servingMetrics =
    serving && servingVocabulary
      ? evaluateHeads({
          heads: serving.heads,
          vocabulary: servingVocabulary,
          dataset,
          plan,
          features,
          dims,
          keep: keepEval,
        }).metrics
      : null;

  const { categoryLabels } = evaluation;
  const width = vocabulary.categories.length;
  const calibrated = calibrateRun({
    evaluation,
    vocabulary,
    plan,
    targetPrecision: settings.targetPrecision,
  });
  const evalFeatures = pickRows(features, dims, evaluation.rows);
  const sanity = sanityMetrics({
    head: heads.category,
    train: trainFeatures,
    trainLabels: categoryOfRow,
    evaluation: evalFeatures,
    evalLabels: categoryLabels,
    dims,
  });
  const openSet = fitOpenSet({
    train: trainFeatures,
    trainRows: rows.length,
    evaluation: evalFeatures,
    evalLabels: categoryLabels,
    categoryCount: width,
    dims,
  });
  // No evaluation row of a known category: nothing to choose a threshold on, no open-set answers.
  if (Number.isFinite(openSet.threshold) && openSet.threshold > 0) heads.novelty = openSet.novelty;
  const metrics = {
    ...evaluation.metrics,
    ...sanity,
    ...openSet.metrics,
    ...calibrated.metrics,
  };
  log.info({ metrics, serving: servingMetrics }, 'evaluated the candidate');
  return {
    heads,
    selection,
    openSet: {
      threshold: openSet.threshold,
      chosen_on: '99th percentile of the novelty of the even evaluation rows of known categories',
    },
    metrics,
    servingMetrics,
    calibration: calibrated.calibration,
    attributeThresholds: calibrated.attributeThresholds,
    queryThresholds: calibrated.queryThresholds,
    cleaning,
    trainRows: rows.length,
    evalRows: evaluation.rows.length,
    embeddingTrained,
    embeddingStart,
    extractor: {
      id: extractor.id,
      inputSize: extractor.inputSize,
      macs: extractor.macs,
      trunk: trunk.name,
      cut: trunk.cut,
    },
  };
}
