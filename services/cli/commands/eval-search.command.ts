import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { createModelRuntime, runtimeOptions } from '../../../shared/model/model-runtime.ts';
import { DEFAULT_DATASETS_DIR } from '../../bench/datasets.ts';
import { evaluateSearch, type SearchScores } from '../../catalog-eval/search-eval.ts';
import { runCommand } from '../command-runtime.ts';
import { createProgressBar } from '../progress-bar.ts';
import { chosenModel } from './model-choice.ts';

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

export function registerEvalSearchCommand(evaluate: Command): void {
  evaluate
    .command('search')
    .description(
      'visual search on real photos: grocery-store in-store photos against the rest of the test split',
    )
    .option('--datasets <dir>', 'folder holding grocery-store (labels.csv + images)', DEFAULT_DATASETS_DIR)
    .option('--model <version|folder>', 'a model version under GROKCAT_HOME/models, or a model folder')
    .option('--json', 'print the result as one JSON line')
    .addHelpText(
      'after',
      '\nExamples:\n  grokcat eval search --datasets ../shared/datasets --json\n' +
        '  grokcat eval search --model VERSION --json   # e.g. a model trained on grocery-store (its dev split)',
    )
    .action(
      runCommand(async ({ config, log, print }, options: { datasets: string; model?: string }) => {
        const dir = path.join(options.datasets, 'grocery-store');
        if (!existsSync(path.join(dir, 'labels.csv')))
          throw new GrokcatError(
            'USAGE_INVALID',
            `--datasets ${options.datasets} has no grocery-store/labels.csv`,
          );
        const files = await chosenModel(config, log, options.model);
        const runtime = await createModelRuntime(files, runtimeOptions(config), log);
        const bar = createProgressBar('grocery-store');
        try {
          const r = await evaluateSearch({ dir, runtime, onProgress: bar.update });
          bar.finish();
          const lines = (name: string, m: SearchScores) => [
            `  ${name}: ${m.queries} in-store photos searching ${m.catalogue} photos`,
            `    same product: recall@1 ${pct(m.recall_at_1_product)}, in top ${m.k} ${pct(m.recall_at_k_product)}, ` +
              `precision@${m.k} ${pct(m.precision_at_k_product)} (chance ${pct(m.chance_product)})`,
            `    same ${r.category_column}: precision@${m.k} ${pct(m.precision_at_k_category)} (chance ${pct(m.chance_category)})`,
            `    products ever ranked ${m.products_ranked} of ${m.products_total}; the most ranked holds ${pct(m.top_product_share)} of all places`,
          ];
          print(
            { ok: true, ...r },
            [
              `${r.model_version} on grocery-store's test split`,
              ...lines('against the catalogue (one image per product)', r.catalogue),
              ...lines('against the other in-store photos (listings)', r.listings),
            ].join('\n'),
          );
        } finally {
          await runtime.close();
        }
      }),
    );
}
