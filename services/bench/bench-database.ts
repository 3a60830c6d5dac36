import { startPgliteTcpServer } from '../../shared/db/pglite-tcp-server.ts';
import { createScratchDatabase } from '../../shared/db/scratch-database.ts';

export type BenchDatabaseKind = 'pglite' | 'postgresql';

/** The Postgres a benchmark's processes share: reached over TCP, so a proxy can stand in front. */
export interface BenchDatabase {
  readonly kind: BenchDatabaseKind;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The same database reached through another port on 127.0.0.1 (a fault proxy). */
  through(port: number): string;
  stop(): Promise<void>;
}

/**
 * A fresh database for one benchmark run: in-memory PGlite served over TCP from this process, or,
 * given `postgres` (the URL of a native PostgreSQL server with pgvector, a role that may create
 * databases), a new database on that server, dropped at the end.
 */
export async function startBenchDatabase(
  postgres: string | null,
  options: { maxConnections?: number } = {},
): Promise<BenchDatabase> {
  if (postgres) {
    const scratch = await createScratchDatabase(postgres, 'grokcat_bench');
    return described('postgresql', scratch.url, () => scratch.drop());
  }
  const pg = await startPgliteTcpServer({ withPgvector: true, maxConnections: options.maxConnections ?? 40 });
  return described('pglite', pg.url, () => pg.stop());
}

function described(kind: BenchDatabaseKind, url: string, stop: () => Promise<void>): BenchDatabase {
  const parsed = new URL(url);
  return {
    kind,
    url,
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    through(port: number) {
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(port);
      return proxied.toString();
    },
    stop,
  };
}
