import type { Command } from 'commander';
import {
  type ApiKey,
  createApiKeyRepository,
  parseScopes,
} from '../../../shared/api-keys/api-key.repository.ts';
import { openDatabase } from '../../../shared/db/open-database.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { type CommandContext, runCommand } from '../command-runtime.ts';

async function withKeys<T>(
  { config, log }: CommandContext,
  work: (keys: ReturnType<typeof createApiKeyRepository>) => Promise<T>,
): Promise<T> {
  const database = await openDatabase(config, { log });
  try {
    return await work(createApiKeyRepository(database.knex));
  } finally {
    await database.close();
  }
}

const describe = (key: ApiKey) =>
  `${key.id}  ${key.name}  scopes=${key.scopes.join(',')}  limit=${key.rate_limit ?? 'default'}/min` +
  `${key.revoked_at ? '  REVOKED' : ''}  last used ${key.last_used_at ? new Date(key.last_used_at).toISOString() : 'never'}`;

export function registerApiKeyCommands(program: Command): void {
  const apikey = program
    .command('apikey')
    .description('API keys of the HTTP API and console (stored hashed)');
  apikey
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--name <name>', 'who or what uses it; labels it sends carry this name')
    .option('--scopes <list>', 'read, write (publish listings and labels), admin (rollback)', 'read,write')
    .option('--rate-limit <n>', 'requests per minute (default GROKCAT_API_RATE_LIMIT)')
    .option('--json', 'print the result as one JSON line')
    .addHelpText(
      'after',
      '\nExample:\n  grokcat apikey create --name catalog-team --scopes read,write --rate-limit 1200',
    )
    .action(
      runCommand(async (context, options: { name: string; scopes: string; rateLimit?: string }) => {
        const rateLimit = options.rateLimit === undefined ? null : Number(options.rateLimit);
        if (rateLimit !== null && !(Number.isInteger(rateLimit) && rateLimit > 0)) {
          throw new GrokcatError(
            'USAGE_INVALID',
            `--rate-limit must be a whole number above 0 (got ${options.rateLimit})`,
          );
        }
        const scopes = parseScopes(options.scopes);
        const { key, record } = await withKeys(context, (keys) =>
          keys.create({ name: options.name, scopes, rateLimit }),
        );
        context.print(
          {
            ok: true,
            key,
            id: record.id,
            name: record.name,
            scopes: record.scopes,
            rate_limit: record.rate_limit,
          },
          `${key}\n(shown once: store it now; id ${record.id}, scopes ${record.scopes.join(',')})\n` +
            `curl -H 'Authorization: Bearer ${key}' http://localhost:${context.config.api.port}/v1/listings`,
        );
      }),
    );
  apikey
    .command('list')
    .description('keys with their scopes, limits and last use (never the keys themselves)')
    .option('--json', 'print the result as one JSON line')
    .addHelpText('after', '\nExample:\n  grokcat apikey list --json')
    .action(
      runCommand(async (context) => {
        const keys = await withKeys(context, (repository) => repository.list());
        context.print({ ok: true, keys }, keys.length ? keys.map(describe).join('\n') : 'no API keys');
      }),
    );
  apikey
    .command('revoke <id>')
    .description('revoke a key (API replicas stop accepting it within 30 s)')
    .option('--json', 'print the result as one JSON line')
    .addHelpText('after', '\nExample:\n  grokcat apikey revoke 3f9a1c2b')
    .action(
      runCommand(async (context, id: string) => {
        const revoked = await withKeys(context, (keys) => keys.revoke(id));
        if (!revoked)
          throw new GrokcatError('USAGE_INVALID', `no active API key ${id} (see grokcat apikey list)`);
        context.print({ ok: true, id, revoked: true }, `${id} revoked`);
      }),
    );
}
