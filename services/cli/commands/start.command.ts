import type { Command } from 'commander';
import { createApiKeyRepository } from '../../../shared/api-keys/api-key.repository.ts';
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
    .description(
      'start grokcat (trainer, enricher, cataloger, api and console) on the configured database and bus; stop with Ctrl-C',
    )
    .action(
      runCommand(async ({ config, log }) => {
        const system = await startSystem({ config, log });
        registerShutdown(() => system.stop(), { log, timeoutMs: config.shutdownTimeoutMs });
        log.info({ pid: process.pid }, 'grokcat is running: press Ctrl-C to stop');
        const keys = createApiKeyRepository(system.database.knex);
        if (system.apiUrl && (await keys.isEmpty())) {
          // The first start makes one admin key and shows it once (only its hash is stored).
          const { key } = await keys.create({
            name: 'console (first start)',
            scopes: ['read', 'write', 'admin'],
          });
          process.stderr.write(
            `\nConsole: ${system.apiUrl}/#key=${key}\nAPI key (admin, shown once): ${key}\n` +
              'More keys: grokcat apikey create --name NAME\n\n',
          );
        } else if (system.apiUrl) {
          process.stderr.write(
            `\nConsole: ${system.apiUrl}/ (sign in with an API key: grokcat apikey create)\n\n`,
          );
        }
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
