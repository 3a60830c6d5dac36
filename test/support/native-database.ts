import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { databaseUrl } from '../../shared/db/scratch-database.ts';

/**
 * `npm run test:postgres` runs the suites beside a native PostgreSQL (scripts/native-postgres.js)
 * and names it in TEST_DATABASE_URL. Each grokcat home of a test then gets its own database on that
 * server instead of the embedded PGlite: one database per home, so that a test's processes share
 * it and tests never see each other's catalogue.
 */
export const nativeServerUrl = (): string | null => process.env.TEST_DATABASE_URL || null;

const created = new Set<string>();

/** The database of `home` on the native server, created on first use (synchronously: env builders are). */
export function nativeDatabaseFor(home: string): string {
  const server = nativeServerUrl();
  if (!server) throw new Error('TEST_DATABASE_URL is not set');
  const name = `home_${createHash('sha1').update(home).digest('hex').slice(0, 16)}`;
  if (!created.has(name)) {
    // Env builders are synchronous: the database is made by a child running the shared helper.
    const helper = new URL('../../shared/db/scratch-database.ts', import.meta.url).href;
    const script = `const { ensureDatabase } = await import(${JSON.stringify(helper)}); await ensureDatabase(process.argv[1], process.argv[2]);`;
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, server, name],
      {
        encoding: 'utf8',
        cwd: import.meta.dirname,
      },
    );
    if (result.status !== 0) throw new Error(`could not create database ${name}: ${result.stderr}`);
    created.add(name);
  }
  return databaseUrl(server, name);
}
