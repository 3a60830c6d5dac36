import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters, mutations } from '../../test/support/fuzz.ts';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { createSingleObjectCodec } from './event-codec.ts';
import { loadSchemaCatalogue } from './schema-catalogue.ts';
import { TOPICS } from './topics.ts';
import { parseConfluent, parseSingleObject } from './wire-format.ts';

const codec = createSingleObjectCodec(loadSchemaCatalogue());
const DECODE_CODES = new Set(['EVENT_UNDECODABLE', 'EVENT_SCHEMA_UNKNOWN', 'EVENT_INVALID']);

/** Decoding either succeeds or refuses with one of the event codes: never another exception. */
async function decodesOrRefuses(topic: string, bytes: Uint8Array): Promise<void> {
  try {
    await codec.decode(topic, Buffer.from(bytes));
  } catch (error) {
    assert.ok(error instanceof GrokcatError, `not a GrokcatError: ${error}`);
    assert.ok(DECODE_CODES.has(error.code), `${error.code}: ${error.message}`);
  }
}

const listing = fc.record({
  event_id: fc.uuid(),
  occurred_at: fc.integer({ min: 0, max: 2 ** 47 }),
  listing_id: fc.string({ minLength: 1, maxLength: 40 }),
  title: fc.string({ unit: 'binary', maxLength: 200 }),
  description: fc.string({ maxLength: 300 }),
  price: fc.option(
    fc.record({ amount_minor: fc.integer({ min: 0 }), currency: fc.constantFrom('EUR', 'USD') }),
  ),
  seller_id: fc.option(fc.string({ maxLength: 20 })),
  marketplace_category: fc.option(fc.string({ maxLength: 20 })),
  images: fc.array(
    fc.record({
      uri: fc.webUrl(),
      inline_bytes: fc.option(fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))),
      content_type: fc.option(fc.constantFrom('image/jpeg', 'image/png')),
    }),
    { maxLength: 4 },
  ),
  // avsc decodes a map into a plain object, where a `__proto__` key is not kept (see the test below).
  seller_attributes: fc.dictionary(
    fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__'),
    fc.string({ maxLength: 20 }),
    { maxKeys: 4 },
  ),
  condition: fc.option(fc.constantFrom('new', 'used')),
});

test('fuzz: any listing round-trips through the Avro single-object encoding', async () => {
  await fc.assert(
    fc.asyncProperty(listing, async (value) => {
      const decoded = await codec.decode(
        TOPICS.listingsCreated,
        await codec.encode(TOPICS.listingsCreated, value),
      );
      // avsc returns its record classes: compare the plain data.
      assert.deepEqual(structuredClone(decoded.value), structuredClone(value));
    }),
    fuzzParameters(),
  );
});

test('fuzz: random bytes never crash the decoders (single-object and Confluent framing)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 600 }),
      fc.constantFrom(...Object.values(TOPICS)),
      async (bytes, topic) => {
        await decodesOrRefuses(topic, bytes);
        // The Confluent frame parser: a result or EVENT_UNDECODABLE.
        for (const parse of [parseConfluent, parseSingleObject]) {
          try {
            parse(Buffer.from(bytes));
          } catch (error) {
            assert.ok(error instanceof GrokcatError && error.code === 'EVENT_UNDECODABLE', String(error));
          }
        }
      },
    ),
    fuzzParameters(),
  );
});

test('fuzz: valid events with bytes flipped, inserted or cut are decoded or refused, never crash', async () => {
  await fc.assert(
    fc.asyncProperty(
      listing,
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ minLength: 1, maxLength: 12 }),
      fc.constantFrom('flip', 'cut', 'insert'),
      async (value, at, byte, extra, how) => {
        const bytes = await codec.encode(TOPICS.listingsCreated, value);
        const mutated =
          how === 'flip'
            ? mutations.flip(bytes, at, byte)
            : how === 'cut'
              ? mutations.cut(bytes, at)
              : mutations.insert(bytes, at, extra);
        await decodesOrRefuses(TOPICS.listingsCreated, mutated);
      },
    ),
    fuzzParameters(),
  );
});

test('a `__proto__` key in an Avro map is dropped, and pollutes nothing', async () => {
  const value = {
    event_id: 'e1',
    occurred_at: 0,
    listing_id: 'l1',
    title: 't',
    description: '',
    price: null,
    seller_id: null,
    marketplace_category: null,
    images: [],
    seller_attributes: JSON.parse('{"__proto__": "polluted", "colour": "red"}'),
    condition: null,
  };
  const decoded = await codec.decode<{ seller_attributes: Record<string, string> }>(
    TOPICS.listingsCreated,
    await codec.encode(TOPICS.listingsCreated, value),
  );
  assert.deepEqual(Object.entries(decoded.value.seller_attributes), [['colour', 'red']]);
  assert.equal(({} as Record<string, unknown>).colour, undefined);
  assert.equal(Object.getPrototypeOf(decoded.value.seller_attributes), Object.prototype);
});
