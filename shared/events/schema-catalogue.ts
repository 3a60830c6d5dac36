import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { schemaFingerprint } from './avro-fingerprint.ts';

export const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));
const SCHEMA_FILE = /^(.+)\.v(\d+)\.avsc$/;

export interface SchemaVersion {
  readonly topic: string;
  readonly version: number;
  readonly type: avro.Type;
  /** The schema as written, docs included (what a schema registry is sent). */
  readonly definition: object;
  readonly fingerprint: Buffer;
}

export interface SchemaCatalogue {
  topics(): string[];
  /** The newest version: what producers write and what consumers read into. */
  current(topic: string): SchemaVersion;
  versions(topic: string): SchemaVersion[];
  byFingerprint(fingerprint: Buffer): SchemaVersion | undefined;
  /** The topic whose schemas `topic` uses (see schemaTopic). */
  schemaTopic(topic: string): string;
}

/** Loads every `<topic>.v<N>.avsc` file; later versions must be readable from earlier ones. */
export function loadSchemaCatalogue(dir: string = SCHEMAS_DIR): SchemaCatalogue {
  const byTopic = new Map<string, SchemaVersion[]>();
  const byPrint = new Map<string, SchemaVersion>();
  for (const file of readdirSync(dir).sort()) {
    const match = SCHEMA_FILE.exec(file);
    if (!match) continue;
    const [, topic = '', version = '0'] = match;
    const definition = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as object;
    const type = avro.Type.forSchema(definition as avro.Schema);
    const entry: SchemaVersion = {
      topic,
      version: Number(version),
      type,
      definition,
      fingerprint: schemaFingerprint(type),
    };
    byTopic.set(
      topic,
      [...(byTopic.get(topic) ?? []), entry].sort((a, b) => a.version - b.version),
    );
    byPrint.set(entry.fingerprint.toString('hex'), entry);
  }
  const versions = (topic: string): SchemaVersion[] => {
    const found = byTopic.get(schemaTopic(topic, byTopic));
    if (!found) {
      throw new GrokcatError('TOPIC_UNKNOWN', `no schema is known for topic "${topic}"`, {
        details: { topic, known: [...byTopic.keys()] },
      });
    }
    return found;
  };
  return {
    topics: () => [...byTopic.keys()].sort(),
    versions,
    current: (topic) => versions(topic).at(-1) as SchemaVersion,
    byFingerprint: (fingerprint) => byPrint.get(fingerprint.toString('hex')),
    schemaTopic: (topic) => schemaTopic(topic, byTopic),
  };
}

/**
 * The schema topic a physical topic reads with: itself, or the known topic it ends with after a
 * namespace prefix (`staging.listings.created`, a test's `t-1a2b.listings.created`), or the topic
 * a dead-letter topic holds messages of (`listings.created.dlq`).
 */
function schemaTopic(topic: string, known: Map<string, unknown>): string {
  const base = topic.endsWith('.dlq') ? topic.slice(0, -'.dlq'.length) : topic;
  if (known.has(base)) return base;
  for (const name of known.keys()) if (base.endsWith(`.${name}`)) return name;
  return base;
}
