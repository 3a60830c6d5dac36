import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createImageLinks } from '../../services/api/image-links.ts';
import type { System } from '../../services/system/system.ts';
import { startApiSystem } from '../support/api-system.ts';
import { waitFor } from '../support/bus-contract.ts';
import { type OpenApiContract, openApiContract } from '../support/openapi-contract.ts';

// A published listing's status (enriched, cataloged, failed with its reason), its photos as kept
// (inline ones included), and every answer checked against the OpenAPI document.
let system: System;
let key: string;
let photoPath: string;
let stop: () => Promise<void>;
let contract: OpenApiContract;
const SIGNING_KEY = 'listing-status-test-signing-key';
const links = createImageLinks(SIGNING_KEY);

before(async () => {
  const started = await startApiSystem(6, { GROKCAT_API_SIGNING_KEY: SIGNING_KEY });
  ({ system, stop, key, photoPath } = started);
  contract = openApiContract(await (await fetch(`${system.apiUrl}/v1/openapi.json`)).json());
});
after(async () => {
  await stop?.();
});

async function call(route: string, init: { method?: string; json?: unknown } = {}) {
  const response = await fetch(`${system.apiUrl}${route}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${key}`,
      ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const type = response.headers.get('content-type');
  const body = type?.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer());
  contract.check(init.method ?? 'GET', route, response.status, type, body);
  // biome-ignore lint/suspicious/noExplicitAny: bodies checked against the OpenAPI document above
  return { status: response.status, type, json: body as any };
}

const post = (listing: Record<string, unknown>) => call('/v1/listings', { method: 'POST', json: listing });

test('a dead-lettered listing says failed, with code and reason, until a corrected version succeeds', async () => {
  // A file: URL outside GROKCAT_IMAGE_FILE_ROOT: refused, and the listing has no other photo.
  const outside = pathToFileURL(path.join(os.tmpdir(), 'outside-the-root.jpg')).href;
  const created = await post({ listing_id: 'L-fails', title: 'refused photo', images: [{ url: outside }] });
  assert.equal(created.status, 202);
  assert.equal(created.json.status_url, '/v1/listings/L-fails/status');
  await waitFor('the failure recorded', async () => (await call(created.json.status_url)).status === 200);
  const status = await call(created.json.status_url);
  assert.equal(status.json.status, 'failed');
  assert.equal(status.json.failure.code, 'LISTING_NO_USABLE_IMAGE');
  assert.match(status.json.failure.message, /outside|not allowed|root/i);
  assert.equal(status.json.failure.topic, 'listings.created');

  const listing = await call('/v1/listings/L-fails');
  assert.deepEqual([listing.status, listing.json.error.code], [422, 'LISTING_FAILED']);
  assert.match(listing.json.error.message, /LISTING_NO_USABLE_IMAGE/);
  assert.equal(listing.json.error.details.failure.code, 'LISTING_NO_USABLE_IMAGE');

  const unknown = await call('/v1/listings/never-published/status');
  assert.deepEqual([unknown.status, unknown.json.error.code], [404, 'LISTING_NOT_FOUND']);

  // The same listing again with a usable photo: no longer failed.
  await post({
    listing_id: 'L-fails',
    title: 'fixed photo',
    images: [{ url: pathToFileURL(photoPath).href }],
  });
  await waitFor(
    'the corrected listing cataloged',
    async () => (await call('/v1/listings/L-fails/status')).json.status === 'cataloged',
  );
  const fixed = await call('/v1/listings/L-fails');
  assert.deepEqual([fixed.json.status, fixed.json.failure], ['cataloged', null]);
});

test('inline photos are kept and served; a photo that failed or does not exist says so with its own code', async () => {
  const inline = readFileSync(photoPath).toString('base64');
  const outside = pathToFileURL(path.join(os.tmpdir(), 'outside-the-root.jpg')).href;
  await post({
    listing_id: 'L-inline',
    title: 'inline photo and a refused one',
    images: [{ data: inline, content_type: 'image/jpeg' }, { url: outside }],
  });
  await waitFor('the inline listing cataloged', async () => {
    const status = await call('/v1/listings/L-inline/status');
    return status.status === 200 && status.json.status === 'cataloged';
  });
  const listing = (await call('/v1/listings/L-inline')).json;
  assert.deepEqual(
    listing.images.map((i: { kind: string; status: string }) => [i.kind, i.status]),
    [
      ['inline', 'ok'],
      ['file', 'failed'],
    ],
  );
  assert.ok(listing.image_url, 'the inline photo is the cover');
  const served = await call(listing.images[0].url);
  assert.deepEqual([served.status, served.type], [200, 'image/webp']);
  assert.ok((served.json as Buffer).subarray(8, 12).equals(Buffer.from('WEBP')));
  assert.equal(listing.images[1].url, null);

  // Links signed for positions that hold no kept photo: the listing exists, so never LISTING_NOT_FOUND.
  const notKept = await call(links.url('L-inline', 1));
  assert.deepEqual([notKept.status, notKept.json.error.code], [404, 'PHOTO_NOT_KEPT']);
  assert.match(notKept.json.error.message, /IMAGE_REFUSED/);
  const missing = await call(links.url('L-inline', 7));
  assert.deepEqual([missing.status, missing.json.error.code], [404, 'PHOTO_NOT_FOUND']);
  const noListing = await call(links.url('no-such-listing', 0));
  assert.deepEqual([noListing.status, noListing.json.error.code], [404, 'LISTING_NOT_FOUND']);
  const grid = (await call('/v1/listings?q=inline')).json;
  assert.ok(
    grid.items.some((l: { id: string; image_url: string | null }) => l.id === 'L-inline' && l.image_url),
  );
});

test('the documented responses are strict: a listing without its id or with an extra field does not validate', async () => {
  const listing = (await call('/v1/listings/L-inline')).json;
  assert.ok(contract.validComponent('Listing', listing));
  const { id: _id, ...withoutId } = listing;
  assert.equal(contract.validComponent('Listing', withoutId), false);
  assert.equal(contract.validComponent('Listing', { ...listing, surprise: 1 }), false);
  const { listing_id: _l, ...priceWithoutListing } = (await call('/v1/listings/L-inline/price')).json;
  assert.equal(contract.validComponent('PriceSuggestion', priceWithoutListing), false);
  assert.equal(contract.validComponent('Prediction', { model_version: 'x' }), false);
  const { id: _s, ...summary } = (await call('/v1/listings')).json.items[0];
  assert.equal(contract.validComponent('ListingSummary', summary), false);
});
