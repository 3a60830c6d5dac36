import type avro from 'avsc';

/**
 * CRC-64-AVRO (Rabin) fingerprint of a schema's Parsing Canonical Form, as the Avro specification
 * defines it for single-object encoding.
 * https://avro.apache.org/docs/1.11.1/specification/#schema-fingerprints
 */
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & (fp & 1n ? MASK : 0n));
  return fp;
});

/** The 64-bit fingerprint as an unsigned bigint. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const byte of bytes) fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] as bigint);
  return fp;
}

/** Parsing Canonical Form: avsc's `schema()` drops docs, defaults and aliases and orders keys as the spec says. */
export function canonicalForm(type: avro.Type): string {
  return JSON.stringify(type.schema());
}

/** The fingerprint as the 8 little-endian bytes that follow the `C3 01` marker. */
export function schemaFingerprint(type: avro.Type): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(Buffer.from(canonicalForm(type), 'utf8')));
  return out;
}
