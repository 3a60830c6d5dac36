import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { System } from '../../services/system/system.ts';
import { createApiKeyRepository } from '../../shared/api-keys/api-key.repository.ts';
import { startApiSystem } from '../support/api-system.ts';
import { waitFor } from '../support/bus-contract.ts';
import { runCli } from '../support/cli-process.ts';
import { type OpenApiContract, openApiContract } from '../support/openapi-contract.ts';
import { cleanEnv, tempHome } from '../support/temp-home.ts';

let system: System;
let admin: string;
let photo: Buffer;
let stop: () => Promise<void>;
let contract: OpenApiContract;

before(async () => {
  const started = await startApiSystem(24, { GROKCAT_API_MAX_BODY_BYTES: '100000' });
  ({ system, stop, key: admin } = started);
  photo = readFileSync(started.photoPath);
  contract = openApiContract(await (await fetch(`${system.apiUrl}/v1/openapi.json`)).json());
});

after(async () => {
  await stop?.();
});

type Tagged = { attributes: Record<string, { label: string }[]> };

const keys = () => createApiKeyRepository(system.database.knex);

async function call(route: string, init: RequestInit & { key?: string | null; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? admin : init.key;
  if (key) headers.set('authorization', `Bearer ${key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const response = await fetch(`${system.apiUrl}${route}`, { ...init, headers, body });
  const text = await response.text();
  // Every answer of every route is checked against the OpenAPI document the API publishes.
  if (route.startsWith('/v1/') && route !== '/v1/openapi.json') {
    const type = response.headers.get('content-type');
    contract.check(
      init.method ?? 'GET',
      route,
      response.status,
      type,
      type?.includes('json') ? JSON.parse(text) : text,
    );
  }
  // biome-ignore lint/suspicious/noExplicitAny: response bodies of every route's shape, checked field by field
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, json };
}

const upload = (fields: Record<string, string> = {}, bytes: Buffer = photo) => {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)]), 'photo.jpg');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
};

test('the OpenAPI document names every route, with its schemas and security', async () => {
  const { status, json: spec } = await call('/v1/openapi.json', { key: null });
  assert.equal(status, 200);
  assert.equal(spec.openapi, '3.1.0');
  for (const [route, method] of [
    ['/v1/listings', 'post'],
    ['/v1/listings', 'get'],
    ['/v1/listings/{id}', 'get'],
    ['/v1/listings/{id}/price', 'get'],
    ['/v1/enrich', 'post'],
    ['/v1/search', 'post'],
    ['/v1/products/{id}', 'get'],
    ['/v1/labels', 'post'],
    ['/v1/models', 'get'],
    ['/v1/models/{version}/rollback', 'post'],
  ] as const) {
    const operation = spec.paths[route]?.[method];
    assert.ok(operation, `${method} ${route}`);
    assert.ok(operation.security?.length, `${method} ${route} needs a key`);
    assert.ok(Object.keys(operation.responses).some((code) => code.startsWith('2')));
  }
  assert.ok(spec.paths['/v1/enrich'].post.requestBody.content['multipart/form-data']);
  assert.ok(spec.components.schemas.Error);
});

test('API keys: required, checked, scoped, hashed at rest; errors are JSON with stable codes', async () => {
  assert.equal((await call('/v1/listings', { key: null })).json.error.code, 'API_KEY_REQUIRED');
  const wrong = await call('/v1/listings', {
    key: 'gk_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  });
  assert.deepEqual([wrong.status, wrong.json.error.code], [401, 'API_KEY_INVALID']);
  const reader = await keys().create({ name: 'reader', scopes: ['read'] });
  assert.equal((await call('/v1/listings', { key: reader.key })).status, 200);
  const denied = await call('/v1/labels', {
    method: 'POST',
    key: reader.key,
    json: { kind: 'query_click', query: 'bag', listing_id: 'x' },
  });
  assert.deepEqual([denied.status, denied.json.error.code], [403, 'API_SCOPE_MISSING']);
  const stored = await system.database.knex('api_keys').where({ id: reader.record.id }).first();
  assert.notEqual(stored.key_hash, reader.key);
  // The secret part is base64url and may itself hold '_': everything after the id.
  assert.ok(!JSON.stringify(stored).includes(reader.key.split('_').slice(2).join('_')));

  const revoked = await keys().create({ name: 'revoked' });
  await keys().revoke(revoked.record.id);
  assert.equal((await call('/v1/listings', { key: revoked.key })).json.error.code, 'API_KEY_INVALID');

  const missing = await call('/v1/nothing-here');
  assert.deepEqual([missing.status, missing.json.error.code], [404, 'ROUTE_NOT_FOUND']);
  assert.equal(typeof missing.json.request_id, 'string');
});

test('rate limits are per key, with Retry-After', async () => {
  const limited = await keys().create({ name: 'limited', rateLimit: 3 });
  for (let i = 0; i < 3; i++) assert.equal((await call('/v1/models', { key: limited.key })).status, 200);
  const over = await call('/v1/models', { key: limited.key });
  assert.deepEqual(
    [over.status, over.json.error.code, over.json.error.retriable],
    [429, 'RATE_LIMITED', true],
  );
  assert.ok(Number(over.headers.get('retry-after')) > 0);
  assert.equal((await call('/v1/models')).status, 200, 'another key is not limited');
});

test('listings: publish, read the enriched record, filter, price; bad requests are refused with reasons', async () => {
  const body = {
    title: 'API posted grey bag',
    price: { amount_minor: 2500, currency: 'EUR' },
    condition: 'used',
    images: [{ data: photo.toString('base64'), content_type: 'image/jpeg' }],
  };
  const created = await call('/v1/listings', {
    method: 'POST',
    json: body,
    headers: { 'idempotency-key': 'k-1' },
  });
  assert.equal(created.status, 202);
  const again = await call('/v1/listings', {
    method: 'POST',
    json: { ...body, listing_id: created.json.listing_id },
    headers: { 'idempotency-key': 'k-1' },
  });
  assert.equal(again.json.event_id, created.json.event_id, 'the same idempotency key, the same event');
  const id = created.json.listing_id as string;
  // The enricher writes the listing and its photos first, the cataloger its enrichment: until then
  // the record answers with category null.
  await waitFor('the posted listing enriched', async () =>
    Boolean((await call(`/v1/listings/${id}`)).json.category),
  );
  const listing = (await call(`/v1/listings/${id}`)).json;
  assert.equal(listing.title, body.title);
  assert.equal(typeof listing.category, 'string');
  assert.ok(listing.category_confidence > 0 && listing.category_confidence <= 1);
  assert.equal(listing.images[0].status, 'ok');
  // An inline photo is kept like a fetched one: its link serves it.
  assert.equal(listing.images[0].kind, 'inline');
  const inline = await fetch(`${system.apiUrl}${listing.images[0].url}`);
  assert.deepEqual([inline.status, inline.headers.get('content-type')], [200, 'image/webp']);
  assert.ok(listing.image_url, 'the inline photo is the cover');
  const price = await call(`/v1/listings/${id}/price`);
  assert.equal(price.status, 200);
  assert.ok(['suggested', 'insufficient_data'].includes(price.json.status));

  const all = (await call('/v1/listings?page_size=100')).json;
  assert.equal(all.total, 25);
  const category = all.items[0].category as string;
  const filtered = (await call(`/v1/listings?page_size=100&category=${encodeURIComponent(category)}`)).json;
  assert.ok(filtered.total > 0 && filtered.items.every((l: { category: string }) => l.category === category));
  const [group, labels] = Object.entries(
    all.items.find((l: Tagged) => Object.keys(l.attributes).length).attributes,
  )[0] as [string, { label: string }[]];
  const attribute = `${group}:${labels[0]?.label}`;
  const tagged = (await call(`/v1/listings?page_size=100&attribute=${encodeURIComponent(attribute)}`)).json;
  assert.ok(
    tagged.total > 0 &&
      tagged.items.every((l: Tagged) => l.attributes[group]?.some((a) => a.label === labels[0]?.label)),
  );
  assert.equal((await call('/v1/listings?q=API%20posted')).json.total, 1);
  assert.equal((await call('/v1/listings?q=%25')).json.total, 0, 'LIKE wildcards are literal');

  const cover = await fetch(`${system.apiUrl}${all.items[1].image_url}`);
  assert.deepEqual([cover.status, cover.headers.get('content-type')], [200, 'image/webp']);
  const forged = await call(`${all.items[1].image_url.replace(/sig=.{4}/, 'sig=AAAA')}`, { key: null });
  assert.deepEqual([forged.status, forged.json.error.code], [403, 'IMAGE_LINK_INVALID']);

  const invalid = await call('/v1/listings', { method: 'POST', json: { ...body, colour: 'red' } });
  assert.deepEqual([invalid.status, invalid.json.error.code], [400, 'REQUEST_INVALID']);
  assert.match(invalid.json.error.message, /colour/);
  const noImages = await call('/v1/listings', { method: 'POST', json: { ...body, images: [] } });
  assert.equal(noImages.status, 400);
  const large = await call('/v1/listings', {
    method: 'POST',
    json: { ...body, description: 'x'.repeat(200_000) },
  });
  assert.deepEqual([large.status, large.json.error.code], [413, 'REQUEST_TOO_LARGE']);
  assert.equal((await call('/v1/listings?page=0')).json.error.code, 'REQUEST_INVALID');
  assert.equal((await call('/v1/listings/no-such-listing')).json.error.code, 'LISTING_NOT_FOUND');
});

test('enrich and search: photos through the shared model, neighbours by embedding with filters', async () => {
  const enriched = await call('/v1/enrich', { method: 'POST', body: upload() });
  assert.equal(enriched.status, 200);
  assert.equal(enriched.json.model_version, 'reference-fmnist-v3');
  assert.equal(enriched.json.embedding, undefined);
  assert.equal(
    (await call('/v1/enrich?embedding=true', { method: 'POST', body: upload() })).json.embedding.length,
    256,
  );
  const broken = await call('/v1/enrich', { method: 'POST', body: upload({}, Buffer.from('not an image')) });
  assert.deepEqual([broken.status, broken.json.error.code], [422, 'IMAGE_REFUSED']);
  const text = await call('/v1/enrich', {
    method: 'POST',
    body: 'hello',
    headers: { 'content-type': 'text/plain' },
  });
  assert.deepEqual([text.status, text.json.error.code], [415, 'MEDIA_TYPE_UNSUPPORTED']);

  const byPhoto = (await call('/v1/search', { method: 'POST', body: upload({ k: '5' }) })).json;
  assert.equal(byPhoto.listings.length, 5);
  const scores = byPhoto.listings.map((l: { score: number }) => l.score);
  assert.deepEqual(
    scores,
    [...scores].sort((a, b) => b - a),
  );
  assert.ok(byPhoto.products.length >= 1);

  const target = byPhoto.listings[0];
  const byListing = (await call('/v1/search', { method: 'POST', json: { listing_id: target.id, k: 10 } }))
    .json;
  assert.ok(
    byListing.listings.every((l: { id: string }) => l.id !== target.id),
    'the query listing is left out',
  );
  const narrowed = (
    await call('/v1/search', {
      method: 'POST',
      json: { listing_id: target.id, k: 10, category: target.category },
    })
  ).json;
  assert.ok(narrowed.listings.every((l: { category: string }) => l.category === target.category));
  assert.equal((await call('/v1/search', { method: 'POST', json: { listing_id: 'nope' } })).status, 404);

  const product = (await call(`/v1/products/${target.product_id}`)).json;
  assert.ok(product.listings.some((l: { id: string }) => l.id === target.id));
  assert.equal((await call('/v1/products/999999')).json.error.code, 'PRODUCT_NOT_FOUND');
});

test('labels are checked against the model and published; models list; rollback needs admin', async () => {
  const { items } = (await call('/v1/listings?page_size=2')).json;
  const [a, b] = items;
  const match = await call('/v1/labels', {
    method: 'POST',
    json: { kind: 'product_match', listing_id: a.id, other_listing_id: b.id, same_product: false },
  });
  assert.equal(match.status, 202);
  await waitFor('the label stored by the trainer', async () =>
    Boolean(await system.database.knex('labels').where({ event_id: match.json.event_id }).first()),
  );
  const wrong = await call('/v1/labels', {
    method: 'POST',
    json: { kind: 'category', listing_id: a.id, category: 'Spaceship' },
  });
  assert.deepEqual([wrong.status, wrong.json.error.code], [400, 'REQUEST_INVALID']);
  const missingField = await call('/v1/labels', {
    method: 'POST',
    json: { kind: 'product_match', listing_id: a.id },
  });
  assert.match(missingField.json.error.message, /other_listing_id/);

  const models = (await call('/v1/models')).json;
  assert.equal(models.serving, 'reference-fmnist-v3');
  assert.ok(models.labels.categories.includes('Bag'));
  const writer = await keys().create({ name: 'writer' });
  const refused = await call('/v1/models/reference-fmnist-v3/rollback', {
    method: 'POST',
    key: writer.key,
    json: {},
  });
  assert.equal(refused.status, 403);
  assert.equal(
    (await call('/v1/models/nope/rollback', { method: 'POST', json: {} })).json.error.code,
    'MODEL_NOT_FOUND',
  );
});

test('health, readiness and Prometheus metrics need no key', async () => {
  assert.deepEqual((await call('/healthz', { key: null })).json, { status: 'ok' });
  const ready = await call('/readyz', { key: null });
  assert.deepEqual([ready.status, ready.json.status], [200, 'ready']);
  const metrics = await call('/metrics', { key: null });
  assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
  assert.match(metrics.json, /grokcat_http_requests_total\{[^}]*route="\/v1\/listings"/);
});

test('grokcat apikey create, list and revoke', async () => {
  const { home, cleanup: done } = tempHome();
  try {
    const env = cleanEnv({ GROKCAT_HOME: home });
    const created = await runCli(['apikey', 'create', '--name', 'ci', '--scopes', 'admin', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const { key, id, scopes } = created.json as { key: string; id: string; scopes: string[] };
    assert.match(key, /^gk_[a-z0-9]{8}_/);
    assert.deepEqual(scopes, ['read', 'write', 'admin']);
    const listed = await runCli(['apikey', 'list', '--json'], env);
    assert.ok(!listed.stdout.includes(key), 'the key is never shown again');
    assert.equal((listed.json as { keys: { id: string }[] }).keys[0]?.id, id);
    assert.equal((await runCli(['apikey', 'revoke', id, '--json'], env)).code, 0);
    const twice = await runCli(['apikey', 'revoke', id], env);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /no active API key/);
    const bad = await runCli(['apikey', 'create', '--name', 'x', '--scopes', 'root'], env);
    assert.equal(bad.code, 2);
  } finally {
    done();
  }
});

test('grokcat start on a port in use stops with a clear message and exit status 2', async () => {
  const { home, cleanup: done } = tempHome();
  try {
    const port = new URL(system.apiUrl as string).port;
    const env = cleanEnv({ GROKCAT_HOME: home, GROKCAT_HTTP_PORT: port, GROKCAT_DEMO_SEED_LISTINGS: '0' });
    const result = await runCli(['start'], env);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`CONFIG_INVALID: cannot listen on 127.0.0.1:${port} \\(EADDRINUSE\\)`),
    );
  } finally {
    done();
  }
});
