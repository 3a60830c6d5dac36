import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';

/**
 * Serves one PGlite to many Postgres connections (Unix socket or TCP).
 *
 * Why not PGLiteSocketServer as it is: its queue (pglite-socket 0.2.17) runs the wire messages of
 * different connections interleaved unless a transaction is open. With the extended protocol a
 * query is several messages (Parse, Bind, Describe, Execute, Sync), so two concurrent pg clients
 * overwrite each other's unnamed statement and portal ("portal does not exist") and receive each
 * other's rows. Our queue keeps PGlite with one connection from its first message to the end of
 * its protocol cycle (Sync, or a simple Query), and for the whole of an open transaction.
 */
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

interface Item {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: Error) => void;
}

function createProtocolQueue(db: PGlite) {
  let items: Item[] = [];
  let owner: number | null = null;
  let processing = false;

  const release = () => {
    if (!db.isInTransaction()) owner = null;
  };

  const process = async (): Promise<void> => {
    if (processing) return;
    processing = true;
    try {
      for (;;) {
        const index = owner === null ? 0 : items.findIndex((item) => item.handlerId === owner);
        // The connection holding PGlite has not sent its next message yet: wait for it, serve no one else.
        if (index === -1 || items.length === 0) break;
        const [item] = items.splice(index, 1) as [Item];
        let bytes = 0;
        owner = item.handlerId;
        try {
          await db.runExclusive(() =>
            db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (error) {
          item.reject(error as Error);
        }
        const type = item.message[0];
        // Startup and other untyped messages start with a length whose first byte is 0.
        if (type === SYNC || type === QUERY || type === TERMINATE || type === 0) release();
      }
    } finally {
      processing = false;
    }
  };

  return {
    enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
      return new Promise<number>((resolve, reject) => {
        items.push({ handlerId, message, onData, resolve, reject });
        void process();
      });
    },
    clearQueueForHandler(handlerId: number): void {
      items = items.filter((item) => {
        if (item.handlerId !== handlerId) return true;
        item.reject(new Error('connection closed'));
        return false;
      });
      if (owner === handlerId && !db.isInTransaction()) owner = null;
      void process();
    },
    async clearTransactionIfNeeded(handlerId: number): Promise<void> {
      if (owner !== handlerId) return;
      if (db.isInTransaction()) await db.exec('ROLLBACK');
      owner = null;
      await process();
    },
    getQueueLength: () => items.length,
  };
}

export interface PgliteSocketServer {
  stop(): Promise<void>;
  /** The TCP port when listening on TCP. */
  readonly port: number | null;
}

export async function servePglite(
  db: PGlite,
  where: { path: string } | { host: string; port: number },
  maxConnections: number,
): Promise<PgliteSocketServer> {
  const queue = createProtocolQueue(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const server = net.createServer((socket) => {
    if (handlers.size >= maxConnections) {
      socket.end();
      return;
    }
    const handler = new PGLiteSocketHandler({
      queryQueue: queue as unknown as ConstructorParameters<typeof PGLiteSocketHandler>[0]['queryQueue'],
      closeOnDetach: true,
    });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    void handler.attach(socket);
  });
  server.maxConnections = maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in where) server.listen(where.path, resolve);
    else server.listen(where.port, where.host, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : null,
    async stop() {
      for (const handler of handlers) await handler.detach(true);
      handlers.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
