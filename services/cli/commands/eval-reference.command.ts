import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { createModelRuntime, runtimeOptions } from '../../../shared/model/model-runtime.ts';
import { evaluateReference } from '../../../shared/training/evaluate-reference.ts';
import { DEFAULT_DATASETS_DIR } from '../../bench/datasets.ts';
import { runCommand } from '../command-runtime.ts';
import { chosenModel } from './model-choice.ts';

const pct = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(1)}%`);

export function registerEvalReferenceCommand(evaluate: Command): void {
  evaluate
    .command('reference')
    .description('the serving model (or --model) on real photos, untrained: right, or says it does not know?')
    .option(
      '--datasets <dir>',
      'folder holding fashion-small, grocery-store and ikea-catalog (labels.csv + images)',
      DEFAULT_DATASETS_DIR,
    )
    .option('--model <version|folder>', 'a model version under GROKCAT_HOME/models, or a model folder')
    .option('--json', 'print the result as one JSON line')
    .addHelpText('after', '\nExample:\n  grokcat eval reference --datasets ../shared/datasets --json')
    .action(
      runCommand(async ({ config, log, print }, options: { datasets: string; model?: string }) => {
        for (const name of ['fashion-small', 'grocery-store', 'ikea-catalog'])
          if (!existsSync(path.join(options.datasets, name, 'labels.csv')))
            throw new GrokcatError(
              'USAGE_INVALID',
              `--datasets ${options.datasets} has no ${name}/labels.csv`,
            );
        const files = await chosenModel(config, log, options.model);
        const runtime = await createModelRuntime(files, runtimeOptions(config), log);
        try {
          const r = await evaluateReference({
            runtime,
            datasetsDir: options.datasets,
            maxPixels: config.model.maxPixels,
            log,
          });
          print(
            { ok: true, ...r },
            [
              `${r.model_version} on real photos (test splits; open-set answers: ${r.open_set ? 'yes' : 'no'})`,
              `  fashion-small, ${r.fashion_small_rows} photos of the ten classes: top-1 ${pct(r.fashion_small_top1)} ` +
                `(majority class ${pct(r.fashion_small_majority_top1)}), right when answering ${pct(r.fashion_small_top1_answered)}, ` +
                `declared unknown ${pct(r.fashion_small_false_unknown)}`,
              `  grocery-store, ${r.grocery_rows} photos: declared unknown ${pct(r.grocery_unknown_rate)}`,
              `  ikea-catalog, ${r.ikea_rows} photos: declared unknown ${pct(r.ikea_unknown_rate)}`,
              `  answers on fashion-small: ${JSON.stringify(r.fashion_small_predicted)}`,
            ].join('\n'),
          );
        } finally {
          await runtime.close();
        }
      }),
    );
}
