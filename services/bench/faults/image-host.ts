import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImageHost {
  readonly baseUrl: string;
  /** `${baseUrl}/photo/<name>`: served at once, or late while slowness is on. */
  url(name: string): string;
  /** `${baseUrl}/hang/<name>`: never answered, so every fetch of it times out. */
  hangingUrl(name: string): string;
  /**
   * For `forMs`, the first request for each photo waits `delayMs` before it is answered (longer than
   * the fetch timeout: the fetch fails and its retry, answered at once, succeeds).
   */
  slowDown(forMs: number, delayMs: number): void;
  /** Requests that were held back by slowness. */
  readonly delayed: number;
  close(): Promise<void>;
}

/** An HTTP image server on 127.0.0.1 for the fault benchmark: photos by name, slow or hanging on demand. */
export async function startImageHost(photos: Map<string, Buffer>): Promise<ImageHost> {
  let slowUntil = 0;
  let slowDelayMs = 0;
  let delayed = 0;
  const slowedOnce = new Set<string>();
  const server = http.createServer((request, response) => {
    const [, route, name = ''] = (request.url ?? '').split('/');
    const bytes = photos.get(decodeURIComponent(name));
    if (route === 'hang') return; // held open until the client gives up or the server closes
    if (route !== 'photo' || !bytes) {
      response.writeHead(404).end();
      return;
    }
    const answer = () => {
      if (response.destroyed) return;
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length }).end(bytes);
    };
    if (Date.now() < slowUntil && !slowedOnce.has(name)) {
      slowedOnce.add(name);
      delayed += 1;
      setTimeout(answer, slowDelayMs).unref();
      return;
    }
    answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    url: (name) => `${baseUrl}/photo/${encodeURIComponent(name)}`,
    hangingUrl: (name) => `${baseUrl}/hang/${encodeURIComponent(name)}`,
    slowDown(forMs, delayMs) {
      slowUntil = Date.now() + forMs;
      slowDelayMs = delayMs;
      slowedOnce.clear();
    },
    get delayed() {
      return delayed;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
