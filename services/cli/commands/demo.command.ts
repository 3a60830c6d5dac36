import type { Command } from 'commander';
import { openCodec } from '../../../shared/bus/open-bus.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { runDemo } from '../../demo/demo-run.ts';
import { startSystem } from '../../system/system.ts';
import { runCommand } from '../command-runtime.ts';
import { createProgressBar } from '../progress-bar.ts';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('generate a demo marketplace and run it through the whole pipeline (enrich, catalog, price)')
    .option('--listings <n>', 'how many listings', '300')
    .option('--images <dir>', 'product photos to list (one product per file, category = folder name)')
    .option('--seed <n>', 'seed of the marketplace and its arrival order (default: from the run id)')
    .option('--json', 'print the summary as one JSON line')
    .addHelpText('after', '\nExample:\n  grokcat demo --listings 300 --json\n  grokcat eval catalog --json')
    .action(
      runCommand(
        async ({ config, log, print }, options: { listings: string; images?: string; seed?: string }) => {
          const listings = Number(options.listings);
          const seed = options.seed === undefined ? undefined : Number(options.seed);
          if (seed !== undefined && !Number.isSafeInteger(seed)) {
            throw new GrokcatError('USAGE_INVALID', `--seed must be a whole number, not ${options.seed}`);
          }
          if (!Number.isInteger(listings) || listings < 1 || listings > 100_000) {
            throw new GrokcatError(
              'USAGE_INVALID',
              `--listings must be a whole number from 1 to 100000, not ${options.listings}`,
            );
          }
          const system = await startSystem({ config, log, api: false });
          const bar = createProgressBar('demo');
          try {
            const summary = await runDemo({
              config,
              database: system.database,
              bus: system.bus,
              codec: openCodec(config),
              log,
              listings,
              ...(options.images ? { imagesDir: options.images } : {}),
              ...(seed !== undefined ? { seed } : {}),
              onProgress: (done, total) => bar.update(done, total),
            });
            bar.finish();
            const { run, source, ground_truth, ...counts } = summary;
            print(
              { ...counts, run, source, ground_truth },
              `demo ${run} (${source} photos): ${summary.listings} listings, ${summary.enriched} enriched, ` +
                `${summary.products} products, ${summary.priced} priced, ${summary.dead_lettered} dead-lettered in ${summary.seconds} s\n` +
                `ground truth: ${ground_truth}; measure it with: grokcat eval catalog`,
            );
          } finally {
            await system.stop();
          }
        },
      ),
    );
}
