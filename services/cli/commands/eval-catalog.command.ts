import path from 'node:path';
import type { Command } from 'commander';
import { createCatalogRepository } from '../../../shared/catalog/catalog.repository.ts';
import { openDatabase } from '../../../shared/db/open-database.ts';
import { embeddingSpace } from '../../../shared/model/grok/model-card.ts';
import { ensureServingModel } from '../../../shared/model/model-registry.repository.ts';
import { createModelRuntime, runtimeOptions } from '../../../shared/model/model-runtime.ts';
import { DEFAULT_DATASETS_DIR, datasetsAvailable } from '../../bench/datasets.ts';
import { evaluateGrocery } from '../../catalog-eval/dataset-eval.ts';
import { evaluateDemo, readGroundTruth } from '../../catalog-eval/demo-eval.ts';
import { evaluateRoomScenes } from '../../catalog-eval/room-scene-eval.ts';
import { configuredMatchSettings } from '../../cataloger/canonicalize.ts';
import { demoFolder } from '../../demo/demo-run.ts';
import { runCommand } from '../command-runtime.ts';
import { createProgressBar } from '../progress-bar.ts';
import { chosenModel } from './model-choice.ts';

interface CatalogEvalOptions {
  run?: string;
  datasets?: string;
  demoOnly?: boolean;
  model?: string;
}

const pct = (value: number | null | undefined) =>
  value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`;

export function registerEvalCatalogCommand(evaluate: Command): void {
  evaluate
    .command('catalog')
    .description('measure canonicalization, price suggestions and page-photo tagging against known truth')
    .option('--run <id>', 'the demo run to measure (default: the newest under GROKCAT_HOME/demo)')
    .option('--datasets <dir>', 'labelled photo sets (grocery-store, ikea-catalog)', DEFAULT_DATASETS_DIR)
    .option('--demo-only', 'skip the photo sets')
    .option(
      '--model <version|folder>',
      'photo sets: run this model (e.g. one trained by `grokcat train --dataset` on the set) instead of the serving one',
    )
    .option('--json', 'print the result as one JSON line')
    .addHelpText(
      'after',
      '\nExamples:\n  grokcat demo --listings 300 && grokcat eval catalog --json\n' +
        '  grokcat train --dataset ../shared/datasets/grocery-store --json   # prints the version\n' +
        '  grokcat eval catalog --model VERSION --json',
    )
    .action(
      runCommand(async ({ config, log, print }, options: CatalogEvalOptions) => {
        const database = await openDatabase(config, { log });
        let runtime: Awaited<ReturnType<typeof createModelRuntime>> | null = null;
        try {
          const files = await ensureServingModel(config, database.knex, log);
          const demo = await evaluateDemo({
            truth: readGroundTruth(demoFolder(config), options.run),
            catalog: createCatalogRepository(database.knex),
            space: embeddingSpace(files.card),
            match: configuredMatchSettings(config.catalog),
            neighbours: config.catalog.neighbours,
          });
          const datasets: Record<string, unknown> = {};
          const dir = options.datasets ?? DEFAULT_DATASETS_DIR;
          if (options.demoOnly) {
            datasets.skipped = 'left out with --demo-only';
          } else if (!datasetsAvailable(dir)) {
            datasets.skipped = `no labelled photo sets at ${dir}`;
          } else {
            const model = options.model ? await chosenModel(config, log, options.model) : files;
            datasets.model_version = model.version;
            runtime = await createModelRuntime(model, runtimeOptions(config), log);
            // A model trained on grocery-store (`grokcat train --dataset`) has seen its dev products.
            const sawDev = model.card.training.data.startsWith('grocery-store:');
            const grocery = createProgressBar('grocery-store');
            datasets['grocery-store'] = await evaluateGrocery(
              path.join(dir, 'grocery-store'),
              runtime,
              grocery.update,
              sawDev ? 'test-half' : 'dev',
            );
            grocery.finish();
            const ikea = createProgressBar('ikea-catalog');
            datasets['ikea-catalog'] = await evaluateRoomScenes(
              path.join(dir, 'ikea-catalog'),
              runtime,
              ikea.update,
              config.catalog.tagHubPool,
            );
            ikea.finish();
          }
          const c = demo.canonicalization;
          const line = (name: string, r: { pairwise: { f1: number }; per_listing: { f1: number } }) =>
            `  ${name.padEnd(9)} pairwise F1 ${pct(r.pairwise.f1)}  per-listing F1 ${pct(r.per_listing.f1)}`;
          print(
            { ok: true, model_version: files.version, demo, datasets },
            [
              `demo ${demo.run}: ${demo.listings} listings of ${demo.products} products (scored on ${demo.test_listings} test listings)`,
              line('pipeline', c.pipeline.test_half),
              line('image', c.image),
              line('text', c.text),
              line('fused', c.fused),
              line('pHash', c.phash),
              line('dHash', c.dhash),
              `  price (final catalogue): MdAPE ${pct(demo.price.final_catalogue.mdape)} vs category median ${pct(demo.price.final_catalogue.baseline_category_median_mdape)} on ${demo.price.final_catalogue.suggested} of ${demo.price.held_out} held-out listings`,
              `  price (as emitted):      MdAPE ${pct(demo.price.as_emitted.mdape)} vs category median ${pct(demo.price.as_emitted.baseline_category_median_mdape)} on ${demo.price.as_emitted.suggested}`,
              `datasets: ${JSON.stringify(datasets)}`,
            ].join('\n'),
          );
        } finally {
          await runtime?.close();
          await database.close();
        }
      }),
    );
}
