import type { Command } from 'commander';
import { openDatabase } from '../../../shared/db/open-database.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { trainOnFashionMnist } from '../../../shared/training/train-fashion-mnist.ts';
import { runCommand } from '../command-runtime.ts';

const count = (value: string) => Number.parseInt(value, 10);

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train the heads on a labelled dataset and write a candidate model version')
    .requiredOption('--dataset <name>', 'fashion-mnist (Debian dataset-fashion-mnist)')
    .option('--per-class <n>', 'training images per class (default: all 60,000)', count)
    .option('--epochs <n>', 'passes over the training images', count, 15)
    .option('--batch-size <n>', 'rows per optimisation step', count, 256)
    .option('--learning-rate <x>', 'Adam learning rate', Number, 0.01)
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async (
          { config, log, print },
          options: {
            dataset: string;
            perClass?: number;
            epochs: number;
            batchSize: number;
            learningRate: number;
          },
        ) => {
          if (options.dataset !== 'fashion-mnist')
            throw new GrokcatError('USAGE_INVALID', `unknown dataset ${options.dataset}: fashion-mnist`);
          const database = await openDatabase(config, { log });
          try {
            const result = await trainOnFashionMnist({
              home: config.home,
              knex: database.knex,
              log,
              ...(options.perClass ? { perClass: options.perClass } : {}),
              epochs: options.epochs,
              batchSize: options.batchSize,
              learningRate: options.learningRate,
            });
            print(
              {
                ok: true,
                version: result.files.version,
                folder: result.files.onnxPath.replace(/\/model\.onnx$/, ''),
                train_images: result.trainImages,
                metrics: result.metrics,
              },
              `${result.files.version}: trained on ${result.trainImages} images; ${JSON.stringify(result.metrics)}\n` +
                `evaluate it: grokcat eval --dataset fashion-mnist --model ${result.files.version}`,
            );
          } finally {
            await database.close();
          }
        },
      ),
    );
}
