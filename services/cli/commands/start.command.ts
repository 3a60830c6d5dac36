import { type Command, InvalidArgumentError } from 'commander';
import { createApiKeyRepository } from '../../../shared/api-keys/api-key.repository.ts';
import { openCodec } from '../../../shared/bus/open-bus.ts';
import { createCatalogRepository } from '../../../shared/catalog/catalog.repository.ts';
import { toGrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { registerShutdown } from '../../../shared/lifecycle/shutdown.ts';
import { runDemo } from '../../demo/demo-run.ts';
import { SERVICE_NAMES, type ServiceName, startSystem } from '../../system/system.ts';
import { runCommand } from '../command-runtime.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'start grokcat (trainer, enricher, cataloger, api and console) on the configured database and bus; stop with Ctrl-C',
    )
    .option(
      '--services <names>',
      `comma-separated services to run in this process (${SERVICE_NAMES.join(', ')}); one per process scales them apart`,
      parseServices,
      [...SERVICE_NAMES],
    )
    .action(
      runCommand(async ({ config, log }, options: { services: ServiceName[] }) => {
        const system = await startSystem({ config, log, services: options.services });
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
        const everything = SERVICE_NAMES.every((name) => options.services.includes(name));
        if (seed > 0 && everything && (await createCatalogRepository(system.database.knex).isEmpty())) {
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
        // Services run until SIGINT/SIGTERM, whose handler exits the process. Idle consumers of an
        // external database and Kafka may hold no open handle at some moment: this timer keeps the
        // process alive meanwhile (without it Node would end with status 13, an unsettled await).
        setInterval(() => {}, 1 << 30);
        await new Promise<never>(() => {});
      }),
    );
}

/** `--services enricher,cataloger`: known names, at least one. */
export function parseServices(value: string): ServiceName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(SERVICE_NAMES as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `${unknown.length > 0 ? `unknown service ${unknown.join(', ')}` : 'no service named'}: choose from ${SERVICE_NAMES.join(', ')}`,
    );
  }
  return [...new Set(names)] as ServiceName[];
}
