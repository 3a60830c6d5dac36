import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isGrokcatError } from '../../shared/errors/error-catalogue.ts';
import { createConfluentCodec } from '../../shared/events/event-codec.ts';
import { loadSchemaCatalogue } from '../../shared/events/schema-catalogue.ts';
import { frameConfluent } from '../../shared/events/wire-format.ts';
import { listingEvent } from '../support/bus-contract.ts';
import { startSchemaRegistry } from '../support/schema-registry-server.ts';

const catalogue = loadSchemaCatalogue();
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('Confluent wire format through a schema registry', () => {
  let registry: Awaited<ReturnType<typeof startSchemaRegistry>>;
  before(async () => {
    registry = await startSchemaRegistry();
  });
  after(async () => {
    await registry?.stop();
  });

  test('registers the current schema and frames with magic byte 0 and its id', async () => {
    const codec = createConfluentCodec(catalogue, registry.url);
    const event = listingEvent('L1', 0);
    const bytes = await codec.encode('listings.created', event);
    assert.equal(bytes[0], 0);
    const id = bytes.readUInt32BE(1);
    assert.ok(id >= 1);
    const decoded = await codec.decode('listings.created', bytes);
    assert.equal(decoded.writer, `id:${id}`);
    assert.deepEqual(plain(decoded.value), plain(event));
  });

  test('reads an older writer (v1, registered by another producer) into the current schema', async () => {
    const v1 = catalogue.versions('listings.created')[0];
    assert.ok(v1);
    const id = registry.register('listings.created-value', JSON.stringify(v1.definition));
    const { condition: _, ...older } = listingEvent('L2', 0);
    const decoded = await createConfluentCodec(catalogue, registry.url).decode(
      'listings.created',
      frameConfluent(id, v1.type.toBuffer(older)),
    );
    assert.deepEqual(plain(decoded.value), { ...plain(older), condition: null });
  });

  test('an unknown schema id is not retriable; a registry that is down is', async () => {
    const codec = createConfluentCodec(catalogue, registry.url);
    await assert.rejects(codec.decode('listings.created', frameConfluent(9999, Buffer.alloc(4))), (error) => {
      assert.ok(isGrokcatError(error, 'EVENT_SCHEMA_UNKNOWN'), String(error));
      return true;
    });
    const down = createConfluentCodec(catalogue, 'http://127.0.0.1:9');
    await assert.rejects(down.encode('listings.created', listingEvent('L3', 0)), (error) => {
      assert.ok(isGrokcatError(error, 'SCHEMA_REGISTRY_UNAVAILABLE'), String(error));
      assert.equal(error.retriable, true);
      return true;
    });
  });
});
