import type { Command } from 'commander';
import { createEventPublisher } from '../../../shared/bus/event-publisher.ts';
import { openBus, openCodec } from '../../../shared/bus/open-bus.ts';
import { openDatabase } from '../../../shared/db/open-database.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { type DatasetChoice, loadLabelledDataset } from '../../../shared/training/load-dataset.ts';
import { runTrainingJob, trainingSettings } from '../../../shared/training/training-job.ts';
import { ensureEmbeddedTopics } from '../../system/system.ts';
import { runCommand } from '../command-runtime.ts';
import { createProgressBar } from '../progress-bar.ts';

const count = (value: string) => Number.parseInt(value, 10);

interface TrainOptions extends DatasetChoice {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  losses: string;
  publish: boolean;
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description(
      'train the heads on a labelled dataset, gate the candidate against the serving model and publish it',
    )
    .requiredOption(
      '--dataset <name|dir>',
      'fashion-mnist (Debian dataset-fashion-mnist) or a dataset folder (docs/training.md)',
    )
    .option('--per-class <n>', 'Fashion-MNIST: training images per class (default: all 60,000)', count)
    .option(
      '--eval-limit <n>',
      'Fashion-MNIST: evaluate on the first n test images (default: all 10,000)',
      count,
    )
    .option('--epochs <n>', 'passes over the training rows (default GROKCAT_TRAINER_EPOCHS)', count)
    .option('--batch-size <n>', 'rows per optimisation step (default GROKCAT_TRAINER_BATCH_SIZE)', count)
    .option('--learning-rate <x>', 'Adam learning rate (default GROKCAT_TRAINER_LEARNING_RATE)', Number)
    .option('--losses <set>', 'all: the four GrokNet loss families; softmax: category softmax alone', 'all')
    .option('--category-column <name>', 'dataset folder: the category column (default: see docs/training.md)')
    .option('--attribute-columns <a,b>', 'dataset folder: attribute columns (default: see docs/training.md)')
    .option('--no-publish', 'gate the candidate but keep it as a candidate even when it passes')
    .option('--json', 'print the result as one JSON line')
    .addHelpText('after', '\nExample:\n  grokcat train --dataset ../shared/datasets/grocery-store --json')
    .action(
      runCommand(async ({ config, log, print }, options: TrainOptions) => {
        if (!['all', 'softmax'].includes(options.losses))
          throw new GrokcatError('USAGE_INVALID', `--losses ${options.losses}: all or softmax`);
        const dataset = loadLabelledDataset(options);
        const database = await openDatabase(config, { log });
        const bus = openBus(config, { database, log });
        const bars = new Map<string, ReturnType<typeof createProgressBar>>();
        try {
          await ensureEmbeddedTopics(bus, config);
          const settings = trainingSettings(config, {
            losses: options.losses as 'all' | 'softmax',
            ...(options.epochs ? { epochs: options.epochs } : {}),
            ...(options.batchSize ? { batchSize: options.batchSize } : {}),
            ...(options.learningRate ? { learningRate: options.learningRate } : {}),
          });
          const result = await runTrainingJob({
            config,
            knex: database.knex,
            log,
            dataset,
            trigger: 'command',
            settings,
            publish: options.publish,
            publisher: createEventPublisher({ bus, codec: openCodec(config) }),
            command: `grokcat ${process.argv.slice(2).join(' ')}`,
            onProgress: (stage, done, total) => {
              const bar =
                bars.get(stage) ??
                createProgressBar(stage === 'features' ? 'trunk features' : 'training epochs');
              bars.set(stage, bar);
              bar.update(done, total);
              if (done >= total) bar.finish();
            },
          });
          const { run, candidate, decision } = result;
          print(
            {
              ok: true,
              version: candidate.version,
              folder: candidate.onnxPath.replace(/\/model\.onnx$/, ''),
              dataset: dataset.name,
              losses: settings.losses,
              train_rows: run.trainRows,
              eval_rows: run.evalRows,
              metrics: run.metrics,
              selection: run.selection,
              open_set: run.heads.novelty ? run.openSet : null,
              serving_metrics: run.servingMetrics,
              embedding: {
                trained: run.embeddingTrained,
                init: run.embeddingStart.init,
                product_recall_at_1_before_losses: run.embeddingStart.productRecallAt1,
              },
              cleaning: run.cleaning,
              gate: decision,
              training_run: result.runId,
            },
            `${candidate.version}: trained on ${run.trainRows} rows of ${dataset.name} (${settings.losses} losses), evaluated on ${run.evalRows}\n` +
              `  category top-1 ${run.metrics.category_top1} (nearest class mean ${run.metrics.category_ncm_top1}, majority ` +
              `${run.metrics.category_majority_top1}, ceiling ${run.metrics.category_ceiling}; ${run.metrics.train_category_top1} on ` +
              `its training rows, ${run.metrics.category_classes_predicted} categories predicted)\n` +
              `  chosen on ${run.selection.validation_rows} validation rows: learning rate ${run.selection.learning_rate}, ` +
              `${run.selection.epochs} epochs\n` +
              `  metrics ${JSON.stringify(run.metrics)}\n` +
              `  serving ${decision.serving_version ?? 'none'} ${JSON.stringify(decision.serving_metrics)}\n` +
              (run.embeddingTrained
                ? `  embedding: learned whitening of the product labels (recall@1 ${run.embeddingStart.productRecallAt1}), then fine-tuned by ArcFace and the pairwise loss\n`
                : '') +
              `  cleaning: ${run.cleaning.exact_duplicates} exact and ${run.cleaning.near_duplicates} near duplicates dropped from evaluation, ${run.cleaning.contradicted_labels} contradicted labels held out\n` +
              (decision.published
                ? `  published: ${candidate.version} now serves`
                : decision.pass
                  ? '  passed the gate; kept as a candidate (--no-publish)'
                  : `  refused by the gate: ${[
                      ...decision.below_baseline.map(
                        (b) => `${b.metric} ${b.candidate} does not beat ${b.baseline} ${b.value}`,
                      ),
                      ...decision.regressions.map((r) => `${r.metric} ${r.candidate} < ${r.serving}`),
                    ].join(', ')}`) +
              (decision.backfill.required
                ? `\n  new embedding space: run a backfill: ${decision.backfill.command}`
                : ''),
          );
        } finally {
          await bus.close();
          await database.close();
        }
      }),
    );
}
