import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { servePglite } from './pglite-socket-server.ts';

/**
 * The embedded database's own thread: PGlite (WebAssembly) and its socket server run here, so the
 * process's main thread, which runs the services, only speaks the wire protocol to it. In one
 * process PGlite took 61.5 % of the main thread at flood (issue 21's profile); here it has a core.
 *
 * Messages: from the parent `{ type: 'stop' }`; to it `{ type: 'ready' }`, `{ type: 'failed', message }`
 * and `{ type: 'stopped' }`.
 */
export interface PgliteWorkerData {
  dataDir: string;
  socketPath: string;
  maxConnections: number;
}

export type PgliteWorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string; stack?: string }
  | { type: 'stopped' };

const port = parentPort;
if (!port) throw new Error('pglite-worker.ts runs as a worker thread');
const { dataDir, socketPath, maxConnections } = workerData as PgliteWorkerData;
const post = (message: PgliteWorkerMessage) => port.postMessage(message);

try {
  const db = await PGlite.create({ dataDir, extensions: { vector } });
  let server: Awaited<ReturnType<typeof servePglite>>;
  try {
    server = await servePglite(db, { path: socketPath }, maxConnections);
  } catch (error) {
    await db.close();
    throw error;
  }
  port.on('message', (message: { type: string }) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await server.stop();
      await db.close();
      post({ type: 'stopped' });
      port.close();
    })().catch((error: Error) => post({ type: 'failed', message: error.message, stack: error.stack }));
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'failed', message: (error as Error).message, stack: (error as Error).stack });
  port.close();
}
