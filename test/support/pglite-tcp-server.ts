import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { servePglite } from '../../shared/db/pglite-socket-server.ts';

/**
 * A throwaway Postgres on 127.0.0.1 (in-memory PGlite over TCP) to stand in for an external
 * DATABASE_URL: with pgvector, or without it to see the refusal.
 */
export async function startPgliteTcpServer({ withPgvector }: { withPgvector: boolean }) {
  const db = await PGlite.create(withPgvector ? { extensions: { vector } } : {});
  const server = await servePglite(db, { host: '127.0.0.1', port: 0 }, 20);
  const port = server.port;
  return {
    url: `postgres://postgres:secret@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
