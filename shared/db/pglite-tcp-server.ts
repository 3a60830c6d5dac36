import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { servePglite } from './pglite-socket-server.ts';

export interface PgliteTcpServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * A throwaway Postgres on 127.0.0.1 (in-memory PGlite over TCP) to stand in for an external
 * DATABASE_URL, for processes that must share one database and be cut off from it (the fault
 * benchmark) and for tests: with pgvector, or without it to see the refusal.
 */
export async function startPgliteTcpServer({
  withPgvector,
  maxConnections = 20,
}: {
  withPgvector: boolean;
  maxConnections?: number;
}): Promise<PgliteTcpServer> {
  const db = await PGlite.create(withPgvector ? { extensions: { vector } } : {});
  const server = await servePglite(db, { host: '127.0.0.1', port: 0 }, maxConnections);
  const port = server.port as number;
  return {
    url: `postgres://postgres:secret@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
