import type { Command } from 'commander';
import { inspectDatabase } from '../../../shared/db/database-status.ts';
import { migrateToLatest, openDatabase, rollbackMigrations } from '../../../shared/db/open-database.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { runCommand } from '../command-runtime.ts';

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('inspect and migrate the database');

  db.command('check')
    .description('check that the database answers, has pgvector and is fully migrated (changes nothing)')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(async ({ config, log, print, setExitCode }) => {
        const database = await openDatabase(config, { log, migrate: false });
        try {
          const status = await inspectDatabase(database.knex);
          const pgvector = status.pgvector.installed !== null || status.pgvector.available !== null;
          const problems: string[] = [];
          if (!pgvector) problems.push('the server has no pgvector extension');
          if (status.pending.length > 0) {
            problems.push(
              `${status.pending.length} migration(s) pending: run \`grokcat db migrate\` or \`grokcat start\``,
            );
          }
          const ok = problems.length === 0;
          const result = {
            ok,
            server_version: status.serverVersion,
            pgvector,
            pgvector_version: status.pgvector.installed ?? status.pgvector.available,
            migrations: status.pending.length === 0 ? 'latest' : 'pending',
            applied: status.applied.length,
            pending: status.pending,
            database: database.kind,
            location: database.location,
            ...(ok ? {} : { problems }),
          };
          const human = [
            `database        ${database.kind} (${database.location})`,
            `server version  ${status.serverVersion}`,
            `pgvector        ${pgvector ? (result.pgvector_version ?? 'yes') : 'MISSING'}`,
            `migrations      ${result.migrations} (${status.applied.length} applied, ${status.pending.length} pending)`,
            ...problems.map((problem) => `problem: ${problem}`),
          ].join('\n');
          print(result, human);
          if (!ok) process.stderr.write(`grokcat: db check failed: ${problems.join('; ')}\n`);
          if (!ok) setExitCode(1);
        } finally {
          await database.close();
        }
      }),
    );

  db.command('migrate')
    .description('apply pending migrations (grokcat start does this too)')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(async ({ config, log, print }) => {
        const database = await openDatabase(config, { log, migrate: false });
        try {
          const applied = await migrateToLatest(database.knex, log);
          print(
            { ok: true, applied },
            applied.length === 0
              ? 'already up to date'
              : `applied ${applied.length}:\n  ${applied.join('\n  ')}`,
          );
        } finally {
          await database.close();
        }
      }),
    );

  db.command('rollback')
    .description('undo the last batch of migrations, or all of them with --all (destroys data)')
    .option('--all', 'undo every migration')
    .option('--yes', 'confirm that data in the rolled-back tables may be lost')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(async ({ config, log, print }, options: { all?: boolean; yes?: boolean }) => {
        if (!options.yes) {
          throw new GrokcatError('USAGE_INVALID', 'rollback drops tables and their data: repeat with --yes');
        }
        const database = await openDatabase(config, { log, migrate: false });
        try {
          const undone = await rollbackMigrations(database.knex, options.all === true);
          print(
            { ok: true, undone },
            undone.length === 0 ? 'nothing to undo' : `undid:\n  ${undone.join('\n  ')}`,
          );
        } finally {
          await database.close();
        }
      }),
    );
}
