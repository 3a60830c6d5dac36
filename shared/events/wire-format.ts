import { GrokcatError } from '../errors/error-catalogue.ts';

/**
 * Pure framing functions for the two wire formats grokcat speaks. Neither knows any schema.
 *
 * - Avro single-object encoding (the default): `C3 01`, the writer schema's 8-byte CRC-64-AVRO
 *   fingerprint (little-endian), then the Avro binary body.
 *   https://avro.apache.org/docs/1.11.1/specification/#single-object-encoding
 * - Confluent wire format (with SCHEMA_REGISTRY_URL): magic byte 0, the 4-byte big-endian schema id
 *   from the registry, then the body.
 */
const SINGLE_OBJECT_MARKER = Buffer.from([0xc3, 0x01]);
const SINGLE_OBJECT_HEADER = 10;
const CONFLUENT_MAGIC = 0;
const CONFLUENT_HEADER = 5;

export function frameSingleObject(fingerprint: Buffer, body: Buffer): Buffer {
  if (fingerprint.length !== 8) throw new RangeError('a CRC-64-AVRO fingerprint has 8 bytes');
  return Buffer.concat([SINGLE_OBJECT_MARKER, fingerprint, body]);
}

export function parseSingleObject(message: Buffer): { fingerprint: Buffer; body: Buffer } {
  if (message.length < SINGLE_OBJECT_HEADER || message[0] !== 0xc3 || message[1] !== 0x01) {
    throw new GrokcatError(
      'EVENT_UNDECODABLE',
      `not an Avro single-object message: expected the C3 01 marker and a 10-byte header, got ${describeStart(message)}${confluentHint(message)}`,
    );
  }
  return {
    fingerprint: message.subarray(2, SINGLE_OBJECT_HEADER),
    body: message.subarray(SINGLE_OBJECT_HEADER),
  };
}

export function frameConfluent(schemaId: number, body: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new RangeError(`a Confluent schema id is a 32-bit unsigned integer, got ${schemaId}`);
  }
  const header = Buffer.alloc(CONFLUENT_HEADER);
  header.writeUInt8(CONFLUENT_MAGIC, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

export function parseConfluent(message: Buffer): { schemaId: number; body: Buffer } {
  if (message.length < CONFLUENT_HEADER || message[0] !== CONFLUENT_MAGIC) {
    throw new GrokcatError(
      'EVENT_UNDECODABLE',
      `not a Confluent-framed message: expected magic byte 0 and a 5-byte header, got ${describeStart(message)}`,
    );
  }
  return { schemaId: message.readUInt32BE(1), body: message.subarray(CONFLUENT_HEADER) };
}

/** A producer that uses a schema registry sends magic byte 0 and a schema id: say so, and what to set. */
function confluentHint(message: Buffer): string {
  if (message.length < CONFLUENT_HEADER || message[0] !== CONFLUENT_MAGIC) return '';
  return (
    `; the bytes look like Confluent wire format (magic byte 0, schema id ${message.readUInt32BE(1)}):` +
    ' set SCHEMA_REGISTRY_URL to the registry that producer uses'
  );
}

function describeStart(message: Buffer): string {
  if (message.length === 0) return 'an empty message';
  const hex = message.subarray(0, 10).toString('hex').replace(/(..)/g, '$1 ').trim();
  return `${message.length} byte(s) starting ${hex}`;
}
