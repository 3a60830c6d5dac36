import type { Knex } from 'knex';
import type { EventPublisher } from '../bus/event-publisher.ts';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../log/logger.ts';
import { createModelRegistry, ensureServingModel, headsOf } from '../model/model-registry.repository.ts';
import type { ModelFiles } from '../model/model-store.ts';
import { type GateDecision, gateAndPublish, writeCandidate } from './candidate-model.ts';
import type { LabelledDataset } from './labelled-dataset.ts';
import { runTraining, type ServingHeads, type TrainingRun, type TrainingSettings } from './run-training.ts';

/** The run settings of the configuration (GROKCAT_TRAINER_*), with command-line overrides. */
export function trainingSettings(
  config: Pick<Config, 'trainer' | 'model'>,
  overrides: Partial<TrainingSettings> = {},
): TrainingSettings {
  const t = config.trainer;
  return {
    losses: 'all',
    epochs: t.epochs,
    batchSize: t.batchSize,
    learningRate: t.learningRate,
    weights: { ...t.weights },
    arcface: { ...t.arcface },
    pairwise: { ...t.pairwise },
    targetPrecision: t.targetPrecision,
    nearDuplicateCosine: t.nearDuplicateCosine,
    contradictionConfidence: t.contradictionConfidence,
    whiteningShrinkage: t.whiteningShrinkage,
    backend: t.backend,
    maxPixels: config.model.maxPixels,
    seed: 7,
    ...overrides,
  };
}

export interface TrainingJobResult {
  runId: number;
  run: TrainingRun;
  candidate: ModelFiles;
  decision: GateDecision;
}

/**
 * A whole training run as the trainer service and `grokcat train` do it: recorded in
 * `training_runs`, trained against the serving model, written as a candidate, gated, published.
 */
export async function runTrainingJob(args: {
  config: Config;
  knex: Knex;
  log: Logger;
  dataset: LabelledDataset;
  trigger: 'labels' | 'command';
  settings: TrainingSettings;
  publish: boolean;
  publisher: EventPublisher | null;
  command: string;
  labelsThrough?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}): Promise<TrainingJobResult> {
  const { knex, log } = args;
  const [inserted] = await knex('training_runs')
    .insert({ trigger: args.trigger, dataset: args.dataset.name, labels_through: args.labelsThrough ?? null })
    .returning('id');
  const runId = Number((inserted as { id: number | string }).id);
  const started = Date.now();
  try {
    const servingFiles = await ensureServingModel(args.config, knex, log);
    const servingHeads = headsOf(servingFiles);
    const serving: ServingHeads | null = servingHeads
      ? { card: servingFiles.card, heads: servingHeads }
      : null;
    const run = await runTraining({
      dataset: args.dataset,
      settings: args.settings,
      serving,
      knex,
      log,
      ...(args.onProgress ? { onProgress: args.onProgress } : {}),
    });
    const candidate = await writeCandidate({
      home: args.config.home,
      knex,
      dataset: args.dataset,
      run,
      serving,
      parent: (await createModelRegistry(knex).serving())?.version ?? null,
      command: args.command,
      prefix: args.dataset.name,
      ...(servingFiles.detector ? { detector: servingFiles.detector } : {}),
    });
    const decision = await gateAndPublish({
      knex,
      candidate,
      run,
      tolerance: args.config.trainer.gateTolerance,
      publish: args.publish,
      publisher: args.publisher,
      log,
    });
    await knex('training_runs')
      .where({ id: runId })
      .update({
        // kept: passed the gate but not published (grokcat train --no-publish).
        status: decision.published ? 'published' : decision.pass ? 'kept' : 'rejected',
        candidate_version: candidate.version,
        metrics: run.metrics,
        report: {
          cleaning: run.cleaning,
          gate: decision,
          train_rows: run.trainRows,
          eval_rows: run.evalRows,
          seconds: Math.round((Date.now() - started) / 1000),
        },
        finished_at: new Date(),
      });
    return { runId, run, candidate, decision };
  } catch (error) {
    await knex('training_runs')
      .where({ id: runId })
      .update({ status: 'failed', error: (error as Error).message, finished_at: new Date() });
    throw error;
  }
}
