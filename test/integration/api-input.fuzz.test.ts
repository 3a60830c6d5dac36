import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { type System, startSystem } from '../../services/system/system.ts';
import { createApiKeyRepository } from '../../shared/api-keys/api-key.repository.ts';
import { fuzzParameters } from '../support/fuzz.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

// The API's input validation under arbitrary input: every answer is a 2xx or a 4xx with the error
// shape, never a 5xx (an unhandled case) and never a hang. Only the api runs, on the embedded
// database and bus: published listings wait on the bus.

const home = tempHome();
let system: System;
let key: string;
before(async () => {
  const config = testConfig({ GROKCAT_HOME: home.home, GROKCAT_API_RATE_LIMIT: '1000000' });
  system = await startSystem({ config, log: testLogger(), services: ['api'] });
  ({ key } = await createApiKeyRepository(system.database.knex).create({
    name: 'fuzz',
    scopes: ['read', 'write'],
  }));
});
after(async () => {
  await system?.stop();
  home.cleanup();
});

async function call(method: string, path: string, body?: string, contentType = 'application/json') {
  const response = await fetch(`${system.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    body: body ?? null,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  assert.ok(response.status < 500, `${method} ${path} ${body?.slice(0, 200)} -> ${response.status} ${text}`);
  if (response.status >= 400) {
    const json = JSON.parse(text) as { error?: { code?: string; message?: string } };
    assert.ok(json.error?.code && json.error.message, `error shape: ${text}`);
  }
  return response.status;
}

/** JSON that looks like a listing often enough to reach the deeper checks. */
const listingish = fc.record(
  {
    listing_id: fc.oneof(fc.string({ maxLength: 210 }), fc.integer(), fc.constant(null)),
    title: fc.oneof(
      fc.string({ maxLength: 520 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.integer(),
    ),
    description: fc.string({ maxLength: 50 }),
    price: fc.oneof(
      fc.record({
        amount_minor: fc.oneof(fc.integer(), fc.double(), fc.string()),
        currency: fc.string({ maxLength: 5 }),
      }),
      fc.anything(),
    ),
    condition: fc.oneof(fc.constantFrom('new', 'used', 'broken'), fc.anything()),
    seller_attributes: fc.dictionary(fc.string({ maxLength: 8 }), fc.anything(), { maxKeys: 4 }),
    images: fc.oneof(
      fc.array(
        fc.record(
          {
            url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 30 }), fc.constant('file:///etc/passwd')),
            data: fc.oneof(fc.base64String({ maxLength: 40 }), fc.string({ maxLength: 20 })),
            content_type: fc.string({ maxLength: 20 }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 22 },
      ),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);

test('fuzz: POST /v1/listings answers 202 or a 4xx with the reason, whatever the body', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(listingish, fc.anything()), async (body) => {
      const status = await call('POST', '/v1/listings', JSON.stringify(body) ?? 'null');
      assert.ok([202, 400, 413].includes(status), `status ${status}`);
    }),
    fuzzParameters(),
  );
});

test('fuzz: POST /v1/labels and /v1/search refuse what they cannot use, with the reason', async () => {
  const label = fc.record(
    {
      kind: fc.oneof(fc.constantFrom('category', 'attributes', 'product_match', 'query_click'), fc.string()),
      listing_id: fc.string({ maxLength: 30 }),
      category: fc.anything(),
      attributes: fc.anything(),
      other_listing_id: fc.anything(),
      same_product: fc.anything(),
      query: fc.anything(),
    },
    { requiredKeys: [] },
  );
  await fc.assert(
    fc.asyncProperty(label, fc.anything(), async (body, other) => {
      await call('POST', '/v1/labels', JSON.stringify(body));
      await call('POST', '/v1/search', JSON.stringify(other) ?? 'null');
    }),
    fuzzParameters(),
  );
});

test('fuzz: query strings and path segments of the read routes never reach a 5xx', async () => {
  const text = fc.string({ unit: 'binary', maxLength: 60 });
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(
        fc.constantFrom('category', 'attribute', 'q', 'page', 'page_size', 'product_id', 'x'),
        text,
        {
          maxKeys: 4,
        },
      ),
      text,
      async (query, segment) => {
        await call('GET', `/v1/listings?${new URLSearchParams(query)}`);
        const id = encodeURIComponent(segment) || 'x';
        await call('GET', `/v1/listings/${id}`);
        await call('GET', `/v1/listings/${id}/price`);
        await call('GET', `/v1/products/${id}`);
      },
    ),
    fuzzParameters(),
  );
});
