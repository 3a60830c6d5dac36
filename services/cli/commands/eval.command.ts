import type { Command } from 'commander';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { createModelRuntime, runtimeOptions } from '../../../shared/model/model-runtime.ts';
import { evaluateFashionMnist } from '../../../shared/training/evaluate-fashion-mnist.ts';
import { evaluateModelOnDataset } from '../../../shared/training/evaluate-model.ts';
import { type DatasetChoice, loadLabelledDataset } from '../../../shared/training/load-dataset.ts';
import { runCommand } from '../command-runtime.ts';
import { createProgressBar } from '../progress-bar.ts';
import { registerEvalCatalogCommand } from './eval-catalog.command.ts';
import { registerEvalReferenceCommand } from './eval-reference.command.ts';
import { registerEvalSearchCommand } from './eval-search.command.ts';
import { chosenModel } from './model-choice.ts';

interface EvalOptions extends DatasetChoice {
  limit?: number;
  model?: string;
}

export function registerEvalCommand(program: Command): void {
  const evaluate = program
    .command('eval')
    .description('evaluate the serving model (or --model) on a labelled dataset')
    // `eval search --model X`: without this, eval's own --model would take the subcommand's.
    .enablePositionalOptions()
    .option(
      '--dataset <name|dir>',
      'fashion-mnist (its 10,000 test images; Debian dataset-fashion-mnist) or a dataset folder (its test split; docs/training.md)',
    )
    .option('--limit <n>', 'Fashion-MNIST: evaluate only the first n test images', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--category-column <name>', 'dataset folder: the category column (default: see docs/training.md)')
    .option('--attribute-columns <a,b>', 'dataset folder: attribute columns (default: see docs/training.md)')
    .option('--model <version|folder>', 'a model version under GROKCAT_HOME/models, or a model folder')
    .option('--json', 'print the result as one JSON line')
    .addHelpText(
      'after',
      '\nExamples:\n  grokcat eval --dataset fashion-mnist --json\n  grokcat eval --dataset ../shared/datasets/grocery-store --json',
    )
    .action(
      runCommand(async ({ config, log, print }, options: EvalOptions) => {
        if (!options.dataset) {
          throw new GrokcatError('USAGE_INVALID', 'name a --dataset (or run grokcat eval catalog)');
        }
        const folder = options.dataset === 'fashion-mnist' ? null : loadLabelledDataset(options);
        const files = await chosenModel(config, log, options.model);
        const runtime = await createModelRuntime(files, runtimeOptions(config), log);
        try {
          if (folder) {
            const bar = createProgressBar('evaluating');
            const result = await evaluateModelOnDataset({
              runtime,
              dataset: folder,
              maxPixels: config.model.maxPixels,
              log,
              onProgress: (done, total) => bar.update(done, total),
            });
            bar.finish();
            print(
              { ok: true, ...result },
              `${result.model_version} on ${result.dataset} (${result.images} test images, ${(result.unknown_rate * 100).toFixed(1)}% ` +
                `declared unknown, ${result.images_per_second} img/s)\n` +
                Object.entries(result.metrics)
                  .map(([name, value]) => `  ${name.padEnd(20)} ${value}`)
                  .join('\n'),
            );
            return;
          }
          const result = await evaluateFashionMnist({
            runtime,
            log,
            ...(options.limit ? { limit: options.limit } : {}),
          });
          print(
            { ok: true, ...result },
            `${result.model_version} on Fashion-MNIST test (${result.images} images): top-1 ${(result.top1 * 100).toFixed(2)}%, ` +
              `top-5 ${(result.top5 * 100).toFixed(2)}%, declared unknown ${(result.unknown_rate * 100).toFixed(1)}%, ` +
              `${result.images_per_second} img/s\n` +
              Object.entries(result.per_class_top1)
                .map(([name, accuracy]) => `  ${name.padEnd(12)} ${(accuracy * 100).toFixed(1)}%`)
                .join('\n'),
          );
        } finally {
          await runtime.close();
        }
      }),
    );
  registerEvalCatalogCommand(evaluate);
  registerEvalReferenceCommand(evaluate);
  registerEvalSearchCommand(evaluate);
}
