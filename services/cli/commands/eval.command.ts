import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openDatabase } from '../../../shared/db/open-database.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { ensureServingModel } from '../../../shared/model/model-registry.repository.ts';
import { createModelRuntime, runtimeOptions } from '../../../shared/model/model-runtime.ts';
import { readModelFolder } from '../../../shared/model/model-store.ts';
import { evaluateFashionMnist } from '../../../shared/training/evaluate-fashion-mnist.ts';
import { runCommand } from '../command-runtime.ts';

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('evaluate the serving model (or --model) on a labelled dataset')
    .requiredOption(
      '--dataset <name>',
      'fashion-mnist (its 10,000 test images; Debian dataset-fashion-mnist)',
    )
    .option('--limit <n>', 'evaluate only the first n test images', (v) => Number.parseInt(v, 10))
    .option('--model <version|folder>', 'a model version under GROKCAT_HOME/models, or a model folder')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async ({ config, log, print }, options: { dataset: string; limit?: number; model?: string }) => {
          if (options.dataset !== 'fashion-mnist') {
            throw new GrokcatError('USAGE_INVALID', `unknown dataset ${options.dataset}: fashion-mnist`);
          }
          let files = options.model
            ? readModelFolder(
                existsSync(options.model) ? options.model : path.join(config.home, 'models', options.model),
              )
            : null;
          if (!files) {
            const database = await openDatabase(config, { log });
            try {
              files = await ensureServingModel(config, database.knex, log);
            } finally {
              await database.close();
            }
          }
          const runtime = await createModelRuntime(files, runtimeOptions(config), log);
          try {
            const result = await evaluateFashionMnist({
              runtime,
              log,
              ...(options.limit ? { limit: options.limit } : {}),
            });
            print(
              { ok: true, ...result },
              `${result.model_version} on Fashion-MNIST test (${result.images} images): top-1 ${(result.top1 * 100).toFixed(2)}%, ` +
                `top-5 ${(result.top5 * 100).toFixed(2)}%, ${result.images_per_second} img/s\n` +
                Object.entries(result.per_class_top1)
                  .map(([name, accuracy]) => `  ${name.padEnd(12)} ${(accuracy * 100).toFixed(1)}%`)
                  .join('\n'),
            );
          } finally {
            await runtime.close();
          }
        },
      ),
    );
}
