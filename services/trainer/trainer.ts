import type { EventPublisher } from '../../shared/bus/event-publisher.ts';
import type { Config } from '../../shared/config/load-config.ts';
import type { Database } from '../../shared/db/open-database.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { ensureServingModel } from '../../shared/model/model-registry.repository.ts';
import { REFERENCE_TRUNK } from '../../shared/model/reference/train-reference-heads.ts';
import { createLabelsRepository } from '../../shared/training/labels.repository.ts';
import { labelsDataset } from '../../shared/training/labels-dataset.ts';
import { GEM_P } from '../../shared/training/run-training.ts';
import {
  runTrainingJob,
  type TrainingJobResult,
  trainingSettings,
} from '../../shared/training/training-job.ts';
import { createLabelHandler } from './label-handler.ts';

/**
 * The trainer: stores label events and retrains once GROKCAT_TRAINER_MIN_NEW_LABELS labels arrived
 * since the last run. One run at a time; labels that arrive during a run count towards the next.
 */
export function createTrainer(deps: {
  config: Config;
  database: Database;
  publisher: EventPublisher;
  log: Logger;
}) {
  const { config, database, log } = deps;
  const labels = createLabelsRepository(database.knex);
  let running: Promise<TrainingJobResult | null> | null = null;
  let recheck = false;

  async function retrain(): Promise<TrainingJobResult | null> {
    const serving = await ensureServingModel(config, database.knex, log);
    const { dataset, labelsThrough, skippedImages } = await labelsDataset({
      knex: database.knex,
      labels,
      serving: serving.card,
      extractorId: `${REFERENCE_TRUNK.name}/${REFERENCE_TRUNK.cut}/gem${GEM_P}`,
      evalPercent: config.trainer.evalPercent,
    });
    const train = dataset.images.filter((i) => i.split === 'train').length;
    const evaluation = dataset.images.length - train;
    if (train === 0 || evaluation === 0) {
      log.warn(
        { train, evaluation, skippedImages },
        'not enough labelled images with readable photos to train and evaluate',
      );
      return null;
    }
    log.info({ train, evaluation, skippedImages, labelsThrough }, 'retraining on labels');
    const result = await runTrainingJob({
      config,
      knex: database.knex,
      log,
      dataset,
      trigger: 'labels',
      settings: trainingSettings(config),
      publish: true,
      publisher: deps.publisher,
      command: 'trainer: new labels',
      labelsThrough,
    });
    return result;
  }

  async function maybeRetrain(): Promise<void> {
    if (running) {
      recheck = true;
      return;
    }
    // Set before the first await: two batches stored at once must not start two runs.
    running = (async () => {
      const fresh = await labels.countAfter(await labels.lastTrainedThrough());
      return fresh < config.trainer.minNewLabels ? null : retrain();
    })()
      .catch((error) => {
        log.error({ err: error }, 'training run failed');
        return null;
      })
      .finally(() => {
        running = null;
        if (recheck) {
          recheck = false;
          void maybeRetrain();
        }
      });
    await running;
  }

  return {
    handleLabels: createLabelHandler({ labels, onStored: () => void maybeRetrain() }),
    maybeRetrain,
    /** Runs one training now, whatever the count of new labels. */
    retrain,
    /** Resolves when no run is in progress. */
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
}

export type Trainer = ReturnType<typeof createTrainer>;
