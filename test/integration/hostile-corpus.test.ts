import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type System, startSystem } from '../../services/system/system.ts';
import { createApiKeyRepository } from '../../shared/api-keys/api-key.repository.ts';
import { newEventId } from '../../shared/bus/event-publisher.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import { apiCases } from '../corpus/api-cases.ts';
import { type CorpusCase, type Outcome, renderTable } from '../corpus/corpus-case.ts';
import type { CorpusContext } from '../corpus/corpus-context.ts';
import { imageCases } from '../corpus/image-cases.ts';
import { validPng } from '../corpus/image-corpus.ts';
import { eventCases, titleCases } from '../corpus/message-cases.ts';
import { urlCases } from '../corpus/url-cases.ts';
import { waitFor } from '../support/bus-contract.ts';
import { collect } from '../support/catalog-scenario.ts';
import { REPO_ROOT } from '../support/cli-process.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

const DOC = path.join(REPO_ROOT, 'docs', 'security.md');
const START = '<!-- corpus table: written by test/integration/hostile-corpus.test.ts (UPDATE_DOCS=1) -->';
const END = '<!-- end of corpus table -->';

const home = tempHome();
let system: System;
const servers: http.Server[] = [];

async function serve(host: string, handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

let ctx: CorpusContext;
let dead: Awaited<ReturnType<typeof collect>>;

before(async () => {
  const photo = await validPng();
  const loopbackPort = await serve('127.0.0.1', (_req, res) => res.end(photo));
  // 127.0.0.2 stands for an operator's allowed image CDN (GROKCAT_IMAGE_ALLOW_HOSTS): reachable,
  // and a starting point for redirects into the places that are not.
  const allowedPort = await serve('127.0.0.2', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.2');
    if (url.pathname === '/photo.png') return res.end(photo);
    if (url.pathname === '/to')
      return res.writeHead(302, { location: url.searchParams.get('u') ?? '/' }).end();
    if (url.pathname === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    res.writeHead(404).end();
  });
  const maxUploadBytes = 2_000_000;
  const config = testConfig({
    GROKCAT_HOME: home.home,
    GROKCAT_IMAGE_ALLOW_HOSTS: '127.0.0.2',
    GROKCAT_IMAGE_MAX_BYTES: String(maxUploadBytes),
    GROKCAT_IMAGE_FETCH_TIMEOUT_MS: '3000',
  });
  system = await startSystem({ config, log: testLogger() });
  const keys = createApiKeyRepository(system.database.knex);
  const { key } = await keys.create({ name: 'corpus', scopes: ['read', 'write', 'admin'] });
  const limited = await keys.create({ name: 'corpus-limited', scopes: ['read'], rateLimit: 5 });
  const codec = openCodec(config);
  dead = await collect(system.bus, [deadLetterTopic(TOPICS.listingsCreated)], 'corpus-dlq');
  const base = system.apiUrl as string;
  const request: CorpusContext['request'] = async (method, route, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const useKey = options.key === undefined ? key : options.key;
    if (useKey !== null) headers.authorization = `Bearer ${useKey}`;
    if (typeof options.body === 'string' && !headers['content-type'])
      headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${route}`, { method, headers, body: options.body ?? null });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: response.status, json, headers: response.headers };
  };
  ctx = {
    request,
    async upload(bytes, filename, contentType) {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(bytes)], { type: contentType }), filename);
      const { status, json } = await request('POST', '/v1/enrich', { body: form });
      return { status, json };
    },
    async postListing(title, urls) {
      const { status, json } = await request('POST', '/v1/listings', {
        body: JSON.stringify({ title, images: urls.map((url) => ({ url })) }),
      });
      assert.equal(status, 202, JSON.stringify(json));
      return String(json?.listing_id);
    },
    publishRaw: (k, value) =>
      system.bus.publish([{ topic: TOPICS.listingsCreated, key: k, value, headers: {} }]),
    listingEvent: (id, uri) => ({
      event_id: newEventId(),
      occurred_at: Date.now(),
      listing_id: id,
      title: `corpus ${id}`,
      description: '',
      price: null,
      seller_id: null,
      marketplace_category: null,
      images: [{ uri, inline_bytes: null, content_type: null }],
      seller_attributes: {},
      condition: null,
    }),
    encode: (value) => codec.encode(TOPICS.listingsCreated, value),
    async deadLetter(k) {
      const find = () => dead.messages.find((m) => m.key === k);
      await waitFor(`dead letter ${k}`, () => Boolean(find()), 30_000).catch(() => {});
      const m = find();
      return m
        ? { code: m.headers['grokcat-dlq-code'] ?? '', reason: m.headers['grokcat-dlq-reason'] ?? '' }
        : null;
    },
    async catalogedTitle(id) {
      const row = () =>
        system.database.knex('listings').where({ id }).whereNotNull('product_id').first('title');
      await waitFor(`${id} cataloged`, async () => Boolean(await row()), 60_000).catch(() => {});
      return ((await row())?.title as string | undefined) ?? null;
    },
    allowedHost: `http://127.0.0.2:${allowedPort}`,
    loopbackPort,
    limitedKey: limited.key,
    maxUploadBytes,
    maxBodyBytes: config.api.maxBodyBytes,
  };
});

after(async () => {
  await dead?.stop();
  await system?.stop();
  for (const server of servers) server.close();
  home.cleanup();
});

test('the hostile corpus: every case refused or dead-lettered with its reason, the pipeline still flowing', async () => {
  const cases: CorpusCase[] = [
    ...imageCases(ctx),
    ...urlCases(ctx),
    ...eventCases(ctx),
    ...titleCases(ctx),
    ...apiCases(ctx),
  ];
  assert.ok(cases.length >= 30, `${cases.length} cases`);
  assert.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'case ids are unique');
  const rows: { c: CorpusCase; o: Outcome }[] = [];
  for (const c of cases) rows.push({ c, o: await c.run() });

  // No partition stuck, no consumer dead: listings on every partition still go through.
  const fresh = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      ctx.postListing(`after the corpus ${i}`, [`${ctx.allowedHost}/photo.png`]),
    ),
  );
  for (const id of fresh) assert.ok(await ctx.catalogedTitle(id), `${id} cataloged after the corpus`);
  const { n } = (await system.database.knex('listings').count({ n: '*' }).first()) as { n: string };
  assert.ok(Number(n) >= fresh.length, 'the listings table survived the SQL in titles');

  const table = renderTable(rows);
  mkdirSync(path.join(REPO_ROOT, 'test', 'artifacts'), { recursive: true });
  writeFileSync(path.join(REPO_ROOT, 'test', 'artifacts', 'security-corpus.md'), `${table}\n`);
  const failed = rows.filter((r) => !r.o.pass).map((r) => `${r.c.id}: ${r.o.observed}`);
  assert.deepEqual(failed, []);

  const doc = readFileSync(DOC, 'utf8');
  const [before, rest] = doc.split(START);
  const after = rest?.split(END)[1];
  assert.ok(before !== undefined && after !== undefined, `docs/security.md has the corpus table markers`);
  const updated = `${before}${START}\n${table}\n${END}${after}`;
  if (process.env.UPDATE_DOCS === '1') writeFileSync(DOC, updated);
  else assert.equal(doc, updated, 'docs/security.md shows this table (refresh with UPDATE_DOCS=1)');
});
