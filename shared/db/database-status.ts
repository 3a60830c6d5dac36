import type { Knex } from 'knex';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { listMigrationFiles, migrationName } from './migration-source.ts';

export interface PgvectorStatus {
  /** The version installed in this database, if any. */
  installed: string | null;
  /** The version the server could install, if it has the extension's files at all. */
  available: string | null;
}

export interface DatabaseStatus {
  serverVersion: string;
  pgvector: PgvectorStatus;
  applied: string[];
  pending: string[];
}

export async function readPgvectorStatus(knex: Knex): Promise<PgvectorStatus> {
  const { rows } = await knex.raw<{ rows: PgvectorStatus[] }>(
    `select (select extversion from pg_extension where extname = 'vector') as installed,
            (select default_version from pg_available_extensions where name = 'vector') as available`,
  );
  return rows[0] ?? { installed: null, available: null };
}

export async function assertPgvectorAvailable(knex: Knex, location: string): Promise<void> {
  const status = await readPgvectorStatus(knex);
  if (status.installed === null && status.available === null) {
    throw new GrokcatError(
      'DB_PGVECTOR_MISSING',
      `Postgres at ${location} has no pgvector extension, which grokcat needs for embeddings. ` +
        'Install it on the server (Debian/Ubuntu: postgresql-<major>-pgvector; Docker: the pgvector/pgvector image; ' +
        'managed services: enable the "vector" extension), or unset DATABASE_URL to use the embedded database.',
      { details: { location } },
    );
  }
}

/**
 * Reads, without changing anything, what `grokcat db check` reports: the server version, pgvector,
 * and which migrations are applied or pending.
 */
export async function inspectDatabase(knex: Knex): Promise<DatabaseStatus> {
  const { rows: versionRows } = await knex.raw<{ rows: { server_version: string }[] }>('show server_version');
  const pgvector = await readPgvectorStatus(knex);
  const { rows: tableRows } = await knex.raw<{ rows: { exists: boolean }[] }>(
    "select to_regclass('knex_migrations') is not null as exists",
  );
  const applied = tableRows[0]?.exists
    ? (await knex('knex_migrations').select<{ name: string }[]>('name').orderBy('id')).map((row) => row.name)
    : [];
  const known = listMigrationFiles().map(migrationName);
  return {
    serverVersion: versionRows[0]?.server_version ?? 'unknown',
    pgvector,
    applied,
    pending: known.filter((name) => !applied.includes(name)),
  };
}
