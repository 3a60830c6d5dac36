import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { createAddressPolicy } from './address-policy.ts';
import { createFetchLimiter } from './fetch-limiter.ts';
import { createImageFetcher, type FetchPolicy } from './image-fetcher.ts';

const BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);

const rejectsWith = async (promise: Promise<unknown>, code: string, message: RegExp) => {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof GrokcatError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
};

test('address policy: private, loopback, link-local, metadata and mapped addresses are refused', () => {
  const policy = createAddressPolicy([]);
  for (const address of [
    '10.1.2.3',
    '127.0.0.1',
    '169.254.169.254',
    '172.20.0.1',
    '192.168.1.1',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
  ])
    assert.ok(policy.refuse('host', address), address);
  for (const address of ['8.8.8.8', '151.101.1.69', '2606:4700::6810:85e5'])
    assert.equal(policy.refuse('host', address), null, address);
  const allowing = createAddressPolicy(['10.0.0.0/8', 'images.internal']);
  assert.equal(allowing.refuse('cdn', '10.9.9.9'), null);
  assert.equal(allowing.refuse('images.internal', '192.168.0.5'), null);
  assert.ok(allowing.refuse('cdn', '192.168.0.5'));
});

describe('image fetcher', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  const policy = (overrides: Partial<FetchPolicy> = {}): FetchPolicy => ({
    fileRoot: path.join(dir, 'root'),
    maxBytes: 1024,
    maxInlineBytes: 512,
    timeoutMs: 2000,
    maxRedirects: 2,
    allowHosts: ['127.0.0.1'],
    limiter: createFetchLimiter({ concurrency: 8, maxBytes: 1 << 20 }),
    ...overrides,
  });
  let connections = 0;
  let holding = 0;
  let mostHeld = 0;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'grokcat-fetch-'));
    mkdirSync(path.join(dir, 'root'));
    writeFileSync(path.join(dir, 'root', 'a.png'), BYTES);
    writeFileSync(path.join(dir, 'secret.png'), BYTES);
    symlinkSync(path.join(dir, 'secret.png'), path.join(dir, 'root', 'link.png'));
    server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      if (url === '/image') return res.end(BYTES);
      if (url.startsWith('/held/')) {
        holding += 1;
        mostHeld = Math.max(mostHeld, holding);
        return setTimeout(() => {
          holding -= 1;
          res.end(BYTES);
        }, 60);
      }
      if (url.startsWith('/hop/')) {
        const left = Number(url.slice(5));
        res.writeHead(302, { location: left > 0 ? `/hop/${left - 1}` : '/image' });
        return res.end();
      }
      if (url === '/to-metadata') {
        res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' });
        return res.end();
      }
      if (url === '/to-localhost') {
        res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/image` });
        return res.end();
      }
      if (url === '/missing') return res.writeHead(404).end();
      if (url === '/busy') return res.writeHead(503).end();
      if (url === '/declared-huge') {
        res.writeHead(200, { 'content-length': '999999' });
        return res.end();
      }
      if (url === '/endless') {
        res.writeHead(200);
        const timer = setInterval(() => res.write(Buffer.alloc(256)), 5);
        res.on('close', () => clearInterval(timer));
        return;
      }
      if (url === '/slow') return setTimeout(() => res.end(BYTES), 3000).unref();
      res.writeHead(500).end();
    });
    server.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('inline bytes: checked against the declared sha256 and the size limit', async () => {
    const fetcher = createImageFetcher(policy());
    const sha = createHash('sha256').update(BYTES).digest('hex');
    assert.deepEqual(await fetcher.fetch({ uri: `inline:sha256:${sha}`, inline_bytes: BYTES }), BYTES);
    await rejectsWith(
      fetcher.fetch({ uri: `inline:sha256:${'0'.repeat(64)}`, inline_bytes: BYTES }),
      'IMAGE_REFUSED',
      /not the declared sha256/,
    );
    await rejectsWith(
      fetcher.fetch({ uri: 'inline:abc', inline_bytes: BYTES }),
      'IMAGE_REFUSED',
      /64 hex digits/,
    );
    const big = new Uint8Array(600);
    const bigSha = createHash('sha256').update(big).digest('hex');
    await rejectsWith(
      fetcher.fetch({ uri: `inline:sha256:${bigSha}`, inline_bytes: big }),
      'IMAGE_REFUSED',
      /exceeds 512/,
    );
  });

  test('file: only inside the allowed root, symlinks followed', async () => {
    const fetcher = createImageFetcher(policy());
    assert.deepEqual(
      await fetcher.fetch({ uri: pathToFileURL(path.join(dir, 'root', 'a.png')).href }),
      BYTES,
    );
    await rejectsWith(
      fetcher.fetch({ uri: pathToFileURL(path.join(dir, 'secret.png')).href }),
      'IMAGE_REFUSED',
      /outside the allowed root/,
    );
    await rejectsWith(
      fetcher.fetch({ uri: `file://${path.join(dir, 'root')}/../secret.png` }),
      'IMAGE_REFUSED',
      /outside the allowed root/,
    );
    await rejectsWith(
      fetcher.fetch({ uri: pathToFileURL(path.join(dir, 'root', 'link.png')).href }),
      'IMAGE_REFUSED',
      /outside the allowed root/,
    );
    await rejectsWith(
      fetcher.fetch({ uri: pathToFileURL(path.join(dir, 'root', 'none.png')).href }),
      'IMAGE_REFUSED',
      /no such file/,
    );
    // Outside the root, a missing file is refused like any other: no oracle for what exists there.
    await rejectsWith(
      fetcher.fetch({ uri: pathToFileURL(path.join(dir, 'none-outside.png')).href }),
      'IMAGE_REFUSED',
      /outside the allowed root/,
    );
    await rejectsWith(
      fetcher.fetch({ uri: 'ftp://example.com/a.png' }),
      'IMAGE_REFUSED',
      /scheme ftp: is not allowed/,
    );
  });

  test('http: fetched, redirects followed up to the limit, every hop checked', async () => {
    const fetcher = createImageFetcher(policy());
    assert.deepEqual(await fetcher.fetch({ uri: `${base}/image` }), BYTES);
    assert.deepEqual(await fetcher.fetch({ uri: `${base}/hop/1` }), BYTES);
    await rejectsWith(fetcher.fetch({ uri: `${base}/hop/5` }), 'IMAGE_REFUSED', /more than 2 redirects/);
    await rejectsWith(fetcher.fetch({ uri: `${base}/to-metadata` }), 'IMAGE_REFUSED', /169\.254\.169\.254/);
    // localhost is a name; its address is checked at connection time, and 127.0.0.1 is allowed here.
    assert.deepEqual(await fetcher.fetch({ uri: `${base}/to-localhost` }), BYTES);
  });

  test('http: loopback refused without an allowlist, for literals and for names that resolve to it', async () => {
    const fetcher = createImageFetcher(policy({ allowHosts: [] }));
    await rejectsWith(fetcher.fetch({ uri: `${base}/image` }), 'IMAGE_REFUSED', /loopback/);
    const port = (server.address() as AddressInfo).port;
    await rejectsWith(
      fetcher.fetch({ uri: `http://localhost:${port}/image` }),
      'IMAGE_REFUSED',
      /localhost resolves to/,
    );
    await rejectsWith(
      fetcher.fetch({ uri: `http://[::ffff:127.0.0.1]:${port}/image` }),
      'IMAGE_REFUSED',
      /loopback/,
    );
  });

  test('http: connections are reused, each new one address-checked by the fetcher that makes it', async () => {
    const fetcher = createImageFetcher(policy());
    await fetcher.fetch({ uri: `${base}/image` });
    const before = connections;
    for (let i = 0; i < 5; i++) assert.deepEqual(await fetcher.fetch({ uri: `${base}/image` }), BYTES);
    assert.equal(connections, before, 'one kept-alive connection for five sequential fetches');
    // Another fetcher with a stricter policy never gets that connection: it checks and refuses.
    await rejectsWith(
      createImageFetcher(policy({ allowHosts: [] })).fetch({ uri: `${base}/image` }),
      'IMAGE_REFUSED',
      /loopback/,
    );
  });

  test('http: at most `concurrency` fetches at once per limiter, the others wait their turn', async () => {
    const limiter = createFetchLimiter({ concurrency: 3, maxBytes: 1 << 20 });
    const fetcher = createImageFetcher(policy({ limiter }));
    mostHeld = 0;
    const all = await Promise.all(
      Array.from({ length: 12 }, (_, i) => fetcher.fetch({ uri: `${base}/held/${i}` })),
    );
    assert.equal(all.length, 12);
    assert.ok(mostHeld <= 3 && mostHeld >= 2, `${mostHeld} requests at once`);
    assert.deepEqual(limiter.stats(), { active: 0, waiting: 0, bytesInFlight: 0 });
  });

  test('http: status, size and time limits', async () => {
    const fetcher = createImageFetcher(policy({ timeoutMs: 300 }));
    await rejectsWith(fetcher.fetch({ uri: `${base}/missing` }), 'IMAGE_REFUSED', /HTTP 404/);
    await rejectsWith(fetcher.fetch({ uri: `${base}/busy` }), 'IMAGE_UNAVAILABLE', /HTTP 503/);
    await rejectsWith(
      fetcher.fetch({ uri: `${base}/declared-huge` }),
      'IMAGE_REFUSED',
      /declared 999999 bytes/,
    );
    await rejectsWith(fetcher.fetch({ uri: `${base}/endless` }), 'IMAGE_REFUSED', /more than 1024 bytes/);
    await rejectsWith(fetcher.fetch({ uri: `${base}/slow` }), 'IMAGE_UNAVAILABLE', /within 300 ms/);
  });
});
