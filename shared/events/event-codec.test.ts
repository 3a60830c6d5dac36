import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import avro from 'avsc';
import { isGrokcatError } from '../errors/error-catalogue.ts';
import { canonicalForm, crc64Avro, schemaFingerprint } from './avro-fingerprint.ts';
import { createSingleObjectCodec } from './event-codec.ts';
import { loadSchemaCatalogue } from './schema-catalogue.ts';
import { TOPICS } from './topics.ts';
import { frameConfluent, frameSingleObject, parseConfluent, parseSingleObject } from './wire-format.ts';

const catalogue = loadSchemaCatalogue();
const codec = createSingleObjectCodec(catalogue);

const listing = {
  event_id: 'e1',
  occurred_at: 1764000000000,
  listing_id: 'L1',
  title: 'Red chair',
  description: '',
  price: { amount_minor: 2500, currency: 'EUR' },
  seller_id: null,
  marketplace_category: null,
  images: [{ uri: 'https://img.example/1.jpg', inline_bytes: null, content_type: 'image/jpeg' }],
  seller_attributes: {},
  condition: 'used',
};

// Hand-checked: C3 01, fingerprint of listings.created v2 (LE), then the Avro body: "e1", the
// zigzag varint of 1764000000000, "L1", "Red chair", "", union branch 1 + Money(2500, "EUR"),
// two nulls, one image, an empty map, union branch 1 + "used".
const GOLDEN_LISTING =
  'c301a511674c92a0759e04653180a0bfe9d666044c311252656420636861697200028827064555520000023268747470733a2f2f696d672e' +
  '6578616d706c652f312e6a7067000214696d6167652f6a7065670000020875736564';

/** Schema files are immutable once released: a changed fingerprint means "add a new version instead". */
const RELEASED_FINGERPRINTS: Record<string, string> = {
  'labels.attributes.v1': 'b20d3e0d328eb51c',
  'labels.category.v1': 'e6bb3b37b311d3f3',
  'labels.product_match.v1': 'db0968afdcffa8c6',
  'labels.query_click.v1': '8901ba278c31f38a',
  'listings.cataloged.v1': '1c42ded7913984d6',
  'listings.created.v1': 'fb43ef14140e5a03',
  'listings.created.v2': 'a511674c92a0759e',
  'listings.enriched.v1': 'fe75adc8bc0416d2',
  'listings.enriched.v2': '2b0ea4d3f06be50d',
  'models.published.v1': '67114c17e2e93d23',
  'photos.tagged.v1': 'e4dbf32de9cbc305',
  'photos.tagged.v2': 'c5db20d70f017069',
  'photos.tagged.v3': '40d21226dd7a516e',
  'photos.uploaded.v1': '4fd3f0c4d9e1d4b0',
  'prices.suggested.v1': '9bbf4224e2a45eae',
};

const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('CRC-64-AVRO fingerprints', () => {
  // Reference values from the Avro project's share/test/data/schema-tests.txt (signed longs there).
  const cases: [avro.Schema, string, bigint][] = [
    ['null', '"null"', 7195948357588979594n],
    ['int', '"int"', 8247732601305521295n],
    [
      { type: 'record', name: 'foo', doc: 'Useful info', fields: [] },
      '{"name":"foo","type":"record","fields":[]}',
      -4824392279771201922n,
    ],
    [
      { namespace: 'x.y.z', type: 'enum', name: 'foo', doc: 'foo bar', symbols: ['A1', 'A2'] },
      '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
      -4448647247586288245n,
    ],
    [
      {
        type: 'record',
        name: 'foo',
        fields: [
          { type: 'boolean', aliases: [], name: 'f1', default: true },
          { order: 'descending', name: 'f2', doc: 'Hello', type: 'int' },
        ],
      } as avro.Schema,
      '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
      -4860222112080293046n,
    ],
  ];
  for (const [schema, canonical, signed] of cases) {
    test(`matches the spec for ${canonical}`, () => {
      const type = avro.Type.forSchema(schema);
      assert.equal(canonicalForm(type), canonical);
      assert.equal(crc64Avro(Buffer.from(canonical)), BigInt.asUintN(64, signed));
      const expected = Buffer.alloc(8);
      expected.writeBigInt64LE(signed);
      assert.deepEqual(schemaFingerprint(type), expected);
    });
  }
});

describe('wire formats', () => {
  test('single-object framing is C3 01 + fingerprint + body, and parses back', () => {
    const framed = frameSingleObject(Buffer.from('0102030405060708', 'hex'), Buffer.from([0xaa, 0xbb]));
    assert.equal(framed.toString('hex'), 'c3010102030405060708aabb');
    const parsed = parseSingleObject(framed);
    assert.equal(parsed.fingerprint.toString('hex'), '0102030405060708');
    assert.equal(parsed.body.toString('hex'), 'aabb');
  });

  test('Confluent framing is magic 0 + big-endian schema id + body', () => {
    const framed = frameConfluent(258, Buffer.from([0xaa]));
    assert.equal(framed.toString('hex'), '0000000102aa');
    assert.deepEqual(parseConfluent(framed), { schemaId: 258, body: Buffer.from([0xaa]) });
  });

  test('refuses messages with the wrong marker or too short, saying what it got', () => {
    for (const bad of [Buffer.alloc(0), Buffer.from('c301', 'hex'), Buffer.from('{"json":true}')]) {
      assert.throws(
        () => parseSingleObject(bad),
        (error) => isGrokcatError(error, 'EVENT_UNDECODABLE'),
      );
    }
    assert.throws(() => parseConfluent(Buffer.from('0100000001', 'hex')), /magic byte 0/);
    assert.throws(() => parseSingleObject(Buffer.alloc(0)), /an empty message/);
  });

  test('a Confluent-framed message without a registry: the reason says so and names SCHEMA_REGISTRY_URL', () => {
    assert.throws(
      () => parseSingleObject(frameConfluent(21, Buffer.from('0a4c31', 'hex'))),
      /look like Confluent wire format \(magic byte 0, schema id 21\).*set SCHEMA_REGISTRY_URL/,
    );
    assert.doesNotThrow(() => parseSingleObject(frameSingleObject(Buffer.alloc(8), Buffer.alloc(0))));
    assert.throws(
      () => parseSingleObject(Buffer.from('{"json":true}')),
      (error: Error) => {
        assert.doesNotMatch(error.message, /Confluent/);
        return true;
      },
    );
  });
});

describe('single-object event codec', () => {
  test('encodes a listing to the golden bytes and decodes it back', async () => {
    const bytes = await codec.encode(TOPICS.listingsCreated, listing);
    assert.equal(bytes.toString('hex'), GOLDEN_LISTING);
    const decoded = await codec.decode(TOPICS.listingsCreated, bytes);
    assert.equal(decoded.writer, 'v2');
    assert.deepEqual(plain(decoded.value), listing);
  });

  test('resolves a v1 writer into the current v2 reader (new field takes its default)', async () => {
    const v1 = catalogue.versions(TOPICS.listingsCreated)[0];
    assert.equal(v1?.version, 1);
    const { condition: _dropped, ...v1Listing } = listing;
    const bytes = frameSingleObject(v1.fingerprint, v1.type.toBuffer(v1Listing));
    const decoded = await codec.decode(TOPICS.listingsCreated, bytes);
    assert.equal(decoded.writer, 'v1');
    assert.deepEqual(plain(decoded.value), { ...v1Listing, condition: null });
  });

  test('every topic round-trips a valid event', async () => {
    for (const topic of Object.values(TOPICS)) {
      const type = catalogue.current(topic).type;
      const sample = type.random();
      const decoded = await codec.decode(topic, await codec.encode(topic, sample));
      assert.ok(type.toBuffer(decoded.value).equals(type.toBuffer(sample)), topic);
    }
  });

  test('refuses an invalid event, naming every bad field', async () => {
    await assert.rejects(
      codec.encode(TOPICS.listingsCreated, { ...listing, title: 42, images: [{ uri: null }] }),
      (error) => {
        assert.ok(isGrokcatError(error, 'EVENT_INVALID'));
        assert.match(error.message, /title: expected string, got 42/);
        assert.match(error.message, /images\.0\.uri: expected string, got null/);
        return true;
      },
    );
  });

  test('refuses unknown fingerprints, other topics, truncated bodies and unknown topics', async () => {
    const bytes = await codec.encode(TOPICS.listingsCreated, listing);
    const unknown = Buffer.from(bytes);
    unknown.fill(0x11, 2, 10);
    await assert.rejects(codec.decode(TOPICS.listingsCreated, unknown), (e) =>
      isGrokcatError(e, 'EVENT_SCHEMA_UNKNOWN'),
    );
    await assert.rejects(codec.decode(TOPICS.labelsCategory, bytes), (e) =>
      isGrokcatError(e, 'EVENT_SCHEMA_UNKNOWN'),
    );
    await assert.rejects(codec.decode(TOPICS.listingsCreated, bytes.subarray(0, bytes.length - 3)), (e) =>
      isGrokcatError(e, 'EVENT_UNDECODABLE'),
    );
    await assert.rejects(codec.encode('no.such.topic', {}), (e) => isGrokcatError(e, 'TOPIC_UNKNOWN'));
  });
});

describe('schemas/', () => {
  test('released schema versions never change', () => {
    const found: Record<string, string> = {};
    for (const topic of catalogue.topics()) {
      for (const version of catalogue.versions(topic)) {
        found[`${topic}.v${version.version}`] = version.fingerprint.toString('hex');
      }
    }
    for (const [name, fingerprint] of Object.entries(RELEASED_FINGERPRINTS)) {
      assert.equal(
        found[name],
        fingerprint,
        `${name} changed: released schemas are immutable, add a new version`,
      );
    }
  });

  test('every topic has a schema, every record and field is documented, and versions stay readable', () => {
    for (const topic of Object.values(TOPICS)) {
      const versions = catalogue.versions(topic);
      const current = catalogue.current(topic);
      for (const older of versions) assert.doesNotThrow(() => current.type.createResolver(older.type), topic);
      const undocumented: string[] = [];
      const walk = (node: unknown, where: string) => {
        if (Array.isArray(node)) {
          for (const [i, item] of node.entries()) walk(item, `${where}[${i}]`);
        }
        if (typeof node !== 'object' || node === null) return;
        const record = node as { type?: unknown; name?: string; doc?: string; fields?: unknown[] };
        if ((record.type === 'record' || record.type === 'enum') && !record.doc)
          undocumented.push(`${where} ${record.name}`);
        for (const field of (record.fields ?? []) as { name: string; doc?: string; type: unknown }[]) {
          if (!field.doc) undocumented.push(`${where}.${field.name}`);
          walk(field.type, `${where}.${field.name}`);
        }
        if ('items' in record) walk((record as { items: unknown }).items, `${where}[]`);
      };
      walk(current.definition, topic);
      assert.deepEqual(undocumented, [], `undocumented in ${topic}`);
    }
  });
});
