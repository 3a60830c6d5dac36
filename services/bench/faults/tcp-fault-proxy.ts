import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TcpFaultProxy {
  readonly port: number;
  /** Connections cut so far (open ones when a drop began). */
  readonly cut: number;
  /**
   * The database "goes away": every open connection is reset at once and new ones are refused for
   * `forMs`, then the proxy accepts again, as a failover or a network partition looks to a client.
   */
  drop(forMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of `target`, so a benchmark can drop a server's connections. */
export async function startTcpFaultProxy(target: { host: string; port: number }): Promise<TcpFaultProxy> {
  const open = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  let refusing = false;
  let cut = 0;
  const server = net.createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair = [client, upstream];
    clients.add(client);
    client.on('close', () => clients.delete(client));
    for (const socket of pair) {
      open.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => {});
      socket.on('close', () => {
        open.delete(socket);
        for (const other of pair) if (other !== socket) other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    get cut() {
      return cut;
    },
    async drop(forMs) {
      refusing = true;
      cut += clients.size;
      for (const socket of open) socket.resetAndDestroy();
      await sleep(forMs);
      refusing = false;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
