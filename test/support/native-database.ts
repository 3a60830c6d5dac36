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
    const script = `
      import pg from 'pg';
      const client = new pg.Client({ connectionString: process.argv[1] });
      await client.connect();
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [process.argv[2]]);
      if (rowCount === 0) await client.query('CREATE DATABASE ' + process.argv[2]);
      await client.end();`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, server, name], {
      encoding: 'utf8',
      cwd: import.meta.dirname,
    });
    if (result.status !== 0) throw new Error(`could not create database ${name}: ${result.stderr}`);
    created.add(name);
  }
  return databaseUrl(server, name);
}
