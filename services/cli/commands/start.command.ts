import type { Command } from 'commander';
import { openCodec } from '../../../shared/bus/open-bus.ts';
import { createCatalogRepository } from '../../../shared/catalog/catalog.repository.ts';
import { toGrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { registerShutdown } from '../../../shared/lifecycle/shutdown.ts';
import { runDemo } from '../../demo/demo-run.ts';
import { startSystem } from '../../system/system.ts';
import { runCommand } from '../command-runtime.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('start grokcat on the configured (by default embedded) database and bus; stop with Ctrl-C')
    .action(
      runCommand(async ({ config, log }) => {
        const system = await startSystem({ config, log });
        registerShutdown(() => system.stop(), { log, timeoutMs: config.shutdownTimeoutMs });
        log.info({ pid: process.pid }, 'grokcat is running: press Ctrl-C to stop');
        const seed = config.catalog.demoSeedListings;
        if (seed > 0 && (await createCatalogRepository(system.database.knex).isEmpty())) {
          // A first start shows something: a demo marketplace flows through the running services.
          log.info(
            { listings: seed },
            'empty catalogue: seeding the demo marketplace (GROKCAT_DEMO_SEED_LISTINGS)',
          );
          runDemo({ ...system, config, codec: openCodec(config), log, listings: seed }).then(
            (summary) => log.info(summary, 'demo marketplace seeded'),
            (error) => log.error({ err: toGrokcatError(error) }, 'seeding the demo marketplace failed'),
          );
        }
        // The open database keeps the process alive until the shutdown handler exits it.
        await new Promise<never>(() => {});
      }),
    );
}
