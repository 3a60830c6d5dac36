import knexFactory, { type Knex } from 'knex';
import type { Config } from '../config/load-config.ts';
import { redactUrl } from '../config/load-config.ts';
import { GrokcatError, isGrokcatError, toGrokcatError } from '../errors/error-catalogue.ts';
import type { Logger } from '../log/logger.ts';
import { assertPgvectorAvailable } from './database-status.ts';
import { startEmbeddedMaintenance } from './embedded-maintenance.ts';
import { type EmbeddedPostgres, startOrJoinEmbeddedPostgres } from './embedded-postgres.ts';
import { createMigrationSource } from './migration-source.ts';

export type { Knex } from 'knex';

export interface Database {
  readonly knex: Knex;
  readonly kind: 'embedded' | 'external';
  /** Where the data lives: the PGlite folder, or the server URL with its password hidden. */
  readonly location: string;
  /** For the embedded database: whether this process serves it or joined another process. */
  readonly embeddedOwner: boolean | null;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  log: Logger;
  /** Apply pending migrations (default). `db check` opens without migrating, to report instead. */
  migrate?: boolean;
  /**
   * Vacuum and analyze it every `GROKCAT_DB_VACUUM_SECONDS` (PGlite has no autovacuum). Default:
   * when this process serves the embedded database. True for a PGlite that this process serves
   * over TCP in place of a production Postgres (the benchmarks).
   */
  maintain?: boolean;
}

/**
 * The one way grokcat reaches Postgres. Without DATABASE_URL it serves (or joins) the embedded
 * PGlite under GROKCAT_HOME through a Unix socket, so the very same knex/pg code runs embedded and
 * in production. Fails fast, with the reason, when the server cannot be reached or has no pgvector.
 */
export async function openDatabase(
  config: Pick<Config, 'home' | 'database'>,
  { log, migrate = true, maintain }: OpenDatabaseOptions,
): Promise<Database> {
  const { url, poolMax, connectTimeoutMs } = config.database;
  let embedded: EmbeddedPostgres | null = null;
  let connection: Knex.PgConnectionConfig;
  let location: string;
  if (url === null) {
    embedded = await startOrJoinEmbeddedPostgres({
      home: config.home,
      log,
      waitMs: connectTimeoutMs + 30_000,
    });
    connection = { host: embedded.socketDir, port: embedded.port, user: 'postgres', database: 'postgres' };
    location = embedded.dataDir;
  } else {
    connection = { connectionString: url };
    location = redactUrl(url);
  }

  const knex = knexFactory({
    client: 'pg',
    connection: { ...connection, connectionTimeoutMillis: connectTimeoutMs, application_name: 'grokcat' },
    pool: { min: 0, max: poolMax },
    // Waiting for a free pooled connection is queueing, not an outage: under load (and always with
    // PGlite, which runs one transaction at a time) it can take far longer than connecting. Only
    // connecting is bounded by GROKCAT_DB_CONNECT_TIMEOUT_MS (connectionTimeoutMillis above).
    acquireConnectionTimeout: Math.max(connectTimeoutMs, POOL_WAIT_MS),
    // knex prints to the console by default; its messages belong in our log, where ping() adds context.
    log: {
      warn: (message: unknown) => log.debug({ knex: String(message) }, 'knex warning'),
      error: (message: unknown) => log.debug({ knex: String(message) }, 'knex error'),
      deprecate: (method: string, alternative: string) =>
        log.warn({ method, alternative }, 'knex deprecation'),
      debug: (message: unknown) => log.trace({ knex: message }, 'knex debug'),
    },
  });
  const stopMaintenance =
    (maintain ?? embedded?.owner === true) && config.database.vacuumIntervalMs > 0
      ? startEmbeddedMaintenance({ knex, log, intervalMs: config.database.vacuumIntervalMs })
      : async () => {};
  const close = async () => {
    await stopMaintenance();
    await knex.destroy();
    await embedded?.stop();
  };

  try {
    await ping(knex, location);
    if (migrate) {
      await assertPgvectorAvailable(knex, location);
      await migrateToLatest(knex, log);
    }
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return {
    knex,
    kind: embedded ? 'embedded' : 'external',
    location,
    embeddedOwner: embedded?.owner ?? null,
    close,
  };
}

/** Longest wait for a free pooled connection before a query fails with DB_UNREACHABLE (retried). */
const POOL_WAIT_MS = 60_000;

async function ping(knex: Knex, location: string): Promise<void> {
  try {
    await knex.raw('select 1');
  } catch (error) {
    const wrapped = toGrokcatError(error);
    const reason = describeConnectError(error);
    throw new GrokcatError(
      wrapped.code === 'DB_QUERY_FAILED' ? 'DB_QUERY_FAILED' : 'DB_UNREACHABLE',
      `Cannot reach Postgres at ${location}: ${reason}. Check DATABASE_URL and that the server is running, ` +
        'or unset DATABASE_URL to use the embedded database.',
      { cause: error, details: { location, ...wrapped.details } },
    );
  }
}

function describeConnectError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return describeConnectError(error.errors[0]);
  const { code, message } = error as { code?: string; message?: string };
  const text = message && message.length > 0 ? message : 'no answer';
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

export async function migrateToLatest(knex: Knex, log: Logger): Promise<string[]> {
  try {
    const [, applied] = (await knex.migrate.latest({ migrationSource: createMigrationSource() })) as [
      number,
      string[],
    ];
    if (applied.length > 0) log.info({ applied }, 'database migrated');
    return applied;
  } catch (error) {
    if (isGrokcatError(error)) throw error;
    throw new GrokcatError(
      'DB_MIGRATION_FAILED',
      `A database migration failed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Rolls back the last batch, or every migration with `all`; returns the names undone. */
export async function rollbackMigrations(knex: Knex, all: boolean): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback({ migrationSource: createMigrationSource() }, all)) as [
    number,
    string[],
  ];
  return undone;
}
