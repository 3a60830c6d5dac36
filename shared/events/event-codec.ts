import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import { GrokcatError, isGrokcatError } from '../errors/error-catalogue.ts';
import { avroBoundsProblem } from './avro-bounds.ts';
import type { SchemaCatalogue, SchemaVersion } from './schema-catalogue.ts';
import { frameConfluent, frameSingleObject, parseConfluent, parseSingleObject } from './wire-format.ts';

export interface DecodedEvent<T = Record<string, unknown>> {
  value: T;
  /** The writer's schema version (single-object) or registry id (Confluent). */
  writer: string;
}

export interface EventCodec {
  readonly format: 'single-object' | 'confluent';
  /** Validates against the topic's current schema and encodes; EVENT_INVALID names every bad field. */
  encode(topic: string, value: unknown): Promise<Buffer>;
  /** Decodes any known writer version into the topic's current schema. */
  decode<T = Record<string, unknown>>(topic: string, message: Buffer): Promise<DecodedEvent<T>>;
}

/** Every field that does not match, as `path: value`, for an error a person can act on. */
export function validateEvent(schema: SchemaVersion, value: unknown): void {
  const problems: string[] = [];
  schema.type.isValid(value, {
    errorHook(path: string[], got: unknown, type: avro.Type) {
      const shown = got === undefined ? 'missing' : truncate(JSON.stringify(got) ?? String(got));
      problems.push(`${path.join('.') || '(root)'}: expected ${describeType(type)}, got ${shown}`);
    },
  });
  if (problems.length > 0) {
    throw new GrokcatError(
      'EVENT_INVALID',
      `event for ${schema.topic} does not match schema v${schema.version}: ${problems.join('; ')}`,
      { details: { topic: schema.topic, problems } },
    );
  }
}

function decodeBody<T>(
  reader: SchemaVersion,
  writer: avro.Type,
  resolver: avro.Resolver | undefined,
  body: Buffer,
): T {
  const problem = avroBoundsProblem(writer, body);
  if (problem) {
    throw new GrokcatError(
      'EVENT_UNDECODABLE',
      `${reader.topic}: the Avro body does not decode: ${problem}`,
      {
        details: { topic: reader.topic, writer: writer.name },
      },
    );
  }
  try {
    return (resolver ? reader.type.fromBuffer(body, resolver) : reader.type.fromBuffer(body)) as T;
  } catch (error) {
    throw new GrokcatError(
      'EVENT_UNDECODABLE',
      `${reader.topic}: the Avro body does not decode: ${(error as Error).message}`,
      {
        cause: error,
        details: { topic: reader.topic, writer: writer.name },
      },
    );
  }
}

/** The default: Avro single-object encoding, schemas known from `schemas/`, no registry needed. */
export function createSingleObjectCodec(catalogue: SchemaCatalogue): EventCodec {
  const resolvers = new Map<string, avro.Resolver | undefined>();
  return {
    format: 'single-object',
    async encode(topic, value) {
      const schema = catalogue.current(topic);
      validateEvent(schema, value);
      return frameSingleObject(schema.fingerprint, schema.type.toBuffer(value));
    },
    async decode<T>(topic: string, message: Buffer) {
      const reader = catalogue.current(topic);
      const { fingerprint, body } = parseSingleObject(message);
      const writer = catalogue.byFingerprint(fingerprint);
      if (!writer || writer.topic !== catalogue.schemaTopic(topic)) {
        throw new GrokcatError(
          'EVENT_SCHEMA_UNKNOWN',
          `${topic}: writer schema fingerprint ${fingerprint.toString('hex')} is not a known version of this topic ` +
            `(known: ${catalogue
              .versions(topic)
              .map((v) => `v${v.version}=${v.fingerprint.toString('hex')}`)
              .join(', ')})`,
          { details: { topic, fingerprint: fingerprint.toString('hex') } },
        );
      }
      const key = writer.fingerprint.toString('hex');
      if (!resolvers.has(key)) {
        resolvers.set(key, writer === reader ? undefined : reader.type.createResolver(writer.type));
      }
      const value = decodeBody<T>(reader, writer.type, resolvers.get(key), body);
      return { value, writer: `v${writer.version}` };
    },
  };
}

/**
 * Confluent wire format through a schema registry (SCHEMA_REGISTRY_URL): producers register the
 * topic's current schema under `<topic>-value`; consumers fetch the writer schema by id and resolve
 * it into the current reader schema, so old and new writers mix on one topic.
 */
export function createConfluentCodec(catalogue: SchemaCatalogue, registryUrl: string): EventCodec {
  const registry = new SchemaRegistry({ host: registryUrl, retry: { retries: 2 } });
  const ids = new Map<string, Promise<number>>();
  const writers = new Map<number, Promise<{ type: avro.Type; resolver: avro.Resolver }>>();

  const registryCall = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (isGrokcatError(error)) throw error;
      const status = (error as { status?: number }).status;
      const message = (error as Error).message;
      // The client reports a refused connection as "status 400" too: look at the cause first.
      const network =
        /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up/.test(message);
      // A registry that answers 4xx has judged the schema or id: retrying cannot help.
      const judged = !network && status !== undefined && status >= 400 && status < 500;
      const code = judged ? 'EVENT_SCHEMA_UNKNOWN' : 'SCHEMA_REGISTRY_UNAVAILABLE';
      throw new GrokcatError(code, `schema registry ${registryUrl}: ${what}: ${message}`, {
        cause: error,
      });
    }
  };

  return {
    format: 'confluent',
    async encode(topic, value) {
      const schema = catalogue.current(topic);
      validateEvent(schema, value);
      let id = ids.get(topic);
      if (!id) {
        id = registryCall(`registering ${topic}-value`, async () => {
          const registered = await registry.register(
            { type: SchemaType.AVRO, schema: JSON.stringify(schema.definition) },
            { subject: `${topic}-value` },
          );
          return registered.id;
        });
        ids.set(topic, id);
        id.catch(() => ids.delete(topic));
      }
      return frameConfluent(await id, schema.type.toBuffer(value));
    },
    async decode<T>(topic: string, message: Buffer) {
      const reader = catalogue.current(topic);
      const { schemaId, body } = parseConfluent(message);
      let writer = writers.get(schemaId);
      if (!writer) {
        writer = registryCall(`fetching schema id ${schemaId}`, async () => {
          const type = (await registry.getSchema(schemaId)) as unknown as avro.Type;
          try {
            return { type, resolver: reader.type.createResolver(type) };
          } catch (error) {
            throw new GrokcatError(
              'EVENT_SCHEMA_UNKNOWN',
              `${topic}: registry schema id ${schemaId} cannot be read as ${topic} v${reader.version}: ${(error as Error).message}`,
              { cause: error, details: { topic, schemaId } },
            );
          }
        });
        writers.set(schemaId, writer);
        writer.catch(() => writers.delete(schemaId));
      }
      const { type, resolver } = await writer;
      return { value: decodeBody<T>(reader, type, resolver, body), writer: `id:${schemaId}` };
    },
  };
}

function describeType(type: avro.Type): string {
  const name = type.typeName;
  return name === 'record' || name === 'enum' || name === 'fixed'
    ? `${name} ${type.name ?? ''}`.trim()
    : name;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
