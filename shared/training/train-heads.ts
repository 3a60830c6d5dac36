import type { Logger } from '../log/logger.ts';
import type { Dense, HeadWeights } from '../model/grok/head-weights.ts';
import { fitStandardiser, foldIntoRaw, standardise, unfoldFromRaw } from './feature-standardiser.ts';
import { type FittedLayers, fitHeads, type LossWeights, type TrainingSet } from './head-fit.ts';
import { seededUniform } from './seeded-random.ts';
import { selectTrainingBackend, type TrainingBackend } from './tfjs-backend.ts';

export { denseOf, type LossWeights, type TrainingSet } from './head-fit.ts';

export interface TrainOptions {
  /** The most passes over the training rows; early stopping on the validation rows picks fewer. */
  epochs: number;
  batchSize: number;
  /** The largest Adam learning rate tried; a third and a tenth of it are tried too. */
  learningRate: number;
  weights: LossWeights;
  /** The embedding projection to start from (and keep, when there are no product labels). */
  embedding: Dense;
  embeddingDim: number;
  gemP: number;
  arcface: { margin: number; scale: number };
  pairwise: { positiveMargin: number; negativeMargin: number };
  seed: number;
  /** tfjs backend (default wasm; see tfjs-backend.ts). */
  backend?: TrainingBackend;
  /** Warm start: heads (on raw features) to continue from (shapes must match); random where absent. */
  initial?: Partial<Record<'category' | 'attributes' | 'queries', Dense>>;
  /** Share of the training rows (by product) held out to choose learning rate and epochs. */
  validationShare?: number;
  /** Epochs without a better validation loss before a fit stops. */
  patience?: number;
  /** Epochs run so far of the most this run can take (every fit of the search, then the final one). */
  onProgress?: (done: number, total: number) => void;
  log: Logger;
}

/** How the run chose its learning rate and epochs, on validation rows carved from the training rows. */
export interface HeadSelection {
  learning_rate: number;
  epochs: number;
  validation_rows: number;
  validation_loss: number | null;
  tried: { learning_rate: number; best_epoch: number; epochs_run: number; validation_loss: number | null }[];
}

export interface TrainedHeads {
  heads: HeadWeights;
  selection: HeadSelection;
}

/** Fewer validation (or fitting) rows than this and the options' rate and epochs are used as given. */
const MIN_VALIDATION_ROWS = 10;
const RATE_STEPS = [1, 1 / 3, 1 / 10];

/** Rows held out for validation: whole products (or single rows), drawn with the run's seed. */
export function validationSplit(set: TrainingSet, share: number, seed: number) {
  const random = seededUniform(seed + 17);
  const held = new Map<string, boolean>();
  const fit: number[] = [];
  const validation: number[] = [];
  for (let row = 0; row < set.count; row++) {
    const product = set.products[row] as number;
    const group = product >= 0 ? `p${product}` : `r${row}`;
    if (!held.has(group)) held.set(group, random() < share);
    (held.get(group) ? validation : fit).push(row);
  }
  return { fit, validation };
}

/**
 * Trains the heads on standardised shared features (standardiser fitted on the training rows and
 * folded into the returned layers, so the served graph still reads the raw feature): first one fit
 * per learning rate on the training rows less a validation share, each stopped early on the
 * validation loss of the category head (of all heads, in a set without categories); then the
 * chosen rate and epoch count on every training row. Test rows are
 * never seen here.
 */
export async function trainHeads(set: TrainingSet, options: TrainOptions): Promise<TrainedHeads> {
  const backend = await selectTrainingBackend(options.backend ?? 'wasm', options.log);
  const standardiser = fitStandardiser(set.features, set.count, set.dims);
  const z: TrainingSet = {
    ...set,
    features: standardise(set.features, set.dims, standardiser),
    embeddingFeatures: set.features,
  };
  const initial: Partial<FittedLayers> & { embedding: Dense } = { embedding: options.embedding };
  for (const name of ['category', 'attributes', 'queries'] as const) {
    const start = options.initial?.[name];
    if (start) initial[name] = unfoldFromRaw(start, standardiser);
  }
  const { fit, validation } = validationSplit(set, options.validationShare ?? 0.15, options.seed);
  const search = validation.length >= MIN_VALIDATION_ROWS && fit.length >= MIN_VALIDATION_ROWS;
  const rates = search ? RATE_STEPS.map((step) => options.learningRate * step) : [];
  const total = (rates.length + 1) * options.epochs;
  let done = 0;
  // Small sets still get several steps an epoch (60 rows in one 256-row batch: 60 steps in all).
  const batchSize = Math.min(options.batchSize, Math.max(16, Math.ceil(set.count / 8)));
  const common = {
    batchSize,
    weights: options.weights,
    embeddingDim: options.embeddingDim,
    arcface: options.arcface,
    pairwise: options.pairwise,
    seed: options.seed,
    log: options.log,
    initial,
  };
  options.log.info(
    { backend, rows: set.count, validation_rows: search ? validation.length : 0, rates },
    'training heads',
  );
  // The category head decides when there is one: it is what the gate judges, and the title words
  // of a few held-out products (queries) stop generalising long before the categories do.
  const decide =
    set.categoryCount > 0 && options.weights.category > 0 && set.categories.some((c) => c >= 0)
      ? { category: 1, attributes: 0, queries: 0 }
      : {
          category: options.weights.category,
          attributes: options.weights.attributes,
          queries: options.weights.queries,
        };
  const tried: HeadSelection['tried'] = [];
  for (const learningRate of rates) {
    // The search watches the heads only. With a frozen trunk the heads share no parameter with the
    // embedding, so the product losses (the slow part) would not change them: left out here.
    const result = await fitHeads(z, fit, {
      ...common,
      weights: { ...options.weights, arcface: 0, pairwise: 0 },
      learningRate,
      epochs: options.epochs,
      monitor: { rows: validation, patience: options.patience ?? 5, weights: decide },
      onEpoch: () => options.onProgress?.(++done, total),
    });
    done += options.epochs - result.epochsRun;
    tried.push({
      learning_rate: learningRate,
      best_epoch: result.bestEpoch,
      epochs_run: result.epochsRun,
      validation_loss: result.monitorLoss,
    });
  }
  const best = tried.reduce<(typeof tried)[number] | null>(
    (a, b) => (a && (a.validation_loss ?? Infinity) <= (b.validation_loss ?? Infinity) ? a : b),
    null,
  );
  const chosen = best
    ? { learningRate: best.learning_rate, epochs: best.best_epoch }
    : { learningRate: options.learningRate, epochs: options.epochs };
  const final = await fitHeads(
    z,
    Array.from({ length: set.count }, (_, i) => i),
    {
      ...common,
      ...chosen,
      onEpoch: (epoch, loss) => {
        options.log.info({ epoch, loss }, 'training heads');
        options.onProgress?.(++done, total);
      },
    },
  );
  options.onProgress?.(total, total);
  const { layers } = final;
  return {
    heads: {
      gemP: options.gemP,
      embedding: layers.embedding,
      category: foldIntoRaw(layers.category, standardiser),
      attributes: foldIntoRaw(layers.attributes, standardiser),
      queries: foldIntoRaw(layers.queries, standardiser),
    },
    selection: {
      learning_rate: chosen.learningRate,
      epochs: chosen.epochs,
      validation_rows: search ? validation.length : 0,
      validation_loss: best?.validation_loss ?? null,
      tried,
    },
  };
}
