import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { GrokcatError } from '../errors/error-catalogue.ts';

export const API_SCOPES = ['read', 'write', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiKey {
  id: string;
  name: string;
  scopes: ApiScope[];
  rate_limit: number | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const KEY_PATTERN = /^gk_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Scopes from a comma list; `admin` implies `write`, which implies `read`. */
export function parseScopes(text: string): ApiScope[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(API_SCOPES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new GrokcatError('USAGE_INVALID', `scopes must be among ${API_SCOPES.join(', ')} (got "${text}")`);
  }
  const rank = Math.max(...names.map((name) => API_SCOPES.indexOf(name as ApiScope)));
  return API_SCOPES.slice(0, rank + 1);
}

/**
 * API keys, stored only as hashes: the key itself is shown once, when created. A key reads
 * `gk_<id>_<secret>`; the id finds the row, the hash of the whole key must match it.
 */
export function createApiKeyRepository(knex: Knex) {
  const table = () => knex<ApiKey & { key_hash: string }>('api_keys');
  return {
    async create(fields: {
      name: string;
      scopes?: ApiScope[];
      rateLimit?: number | null;
    }): Promise<{ key: string; record: ApiKey }> {
      const id = randomBytes(5).toString('hex').slice(0, 8);
      const key = `gk_${id}_${randomBytes(32).toString('base64url')}`;
      const [record] = await table()
        .insert({
          id,
          name: fields.name,
          key_hash: hashApiKey(key),
          scopes: fields.scopes ?? ['read', 'write'],
          rate_limit: fields.rateLimit ?? null,
        })
        .returning(['id', 'name', 'scopes', 'rate_limit', 'created_at', 'last_used_at', 'revoked_at']);
      return { key, record: record as ApiKey };
    },

    /** The key's record when the key is well formed, known, not revoked; else null. */
    async verify(key: string): Promise<ApiKey | null> {
      const match = KEY_PATTERN.exec(key);
      if (!match) return null;
      const row = await table().where({ id: match[1] }).whereNull('revoked_at').first();
      if (!row) return null;
      const expected = Buffer.from(row.key_hash, 'hex');
      const actual = Buffer.from(hashApiKey(key), 'hex');
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
      const { key_hash: _hash, ...record } = row;
      return record;
    },

    async touch(id: string): Promise<void> {
      await table().where({ id }).update({ last_used_at: new Date() });
    },

    list: (): Promise<ApiKey[]> =>
      table()
        .select('id', 'name', 'scopes', 'rate_limit', 'created_at', 'last_used_at', 'revoked_at')
        .orderBy('created_at'),

    async revoke(id: string): Promise<boolean> {
      const changed = await table().where({ id }).whereNull('revoked_at').update({ revoked_at: new Date() });
      return changed > 0;
    },

    async isEmpty(): Promise<boolean> {
      return !(await table().first('id'));
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;
