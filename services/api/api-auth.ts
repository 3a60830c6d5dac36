import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKey, ApiKeyRepository, ApiScope } from '../../shared/api-keys/api-key.repository.ts';
import { hashApiKey } from '../../shared/api-keys/api-key.repository.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: ApiKey | null;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; absent: the route is public (health, metrics, console, image links). */
    scope?: ApiScope;
  }
}

const CACHE_MS = 30_000;
const TOUCH_EVERY_MS = 60_000;

/** The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(request: FastifyRequest): string | null {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    return match?.[1] ?? authorization.trim();
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.length > 0 ? header : null;
}

/**
 * Checks the API key of every route that names a scope. Verified keys (and refusals) are cached
 * for 30 s by the key's hash, so a revoked key stops working within that time.
 */
export function registerAuth(app: FastifyInstance, keys: ApiKeyRepository): void {
  const cache = new Map<string, { key: ApiKey | null; until: number }>();
  const touched = new Map<string, number>();
  app.decorateRequest('apiKey', null);
  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (!scope) return;
    const presented = presentedKey(request);
    if (!presented)
      throw new GrokcatError(
        'API_KEY_REQUIRED',
        'this route needs an API key: send Authorization: Bearer <key>',
      );
    const hash = hashApiKey(presented);
    let entry = cache.get(hash);
    if (!entry || entry.until < Date.now()) {
      entry = { key: await keys.verify(presented), until: Date.now() + CACHE_MS };
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, entry);
    }
    if (!entry.key) throw new GrokcatError('API_KEY_INVALID', 'the API key is unknown, malformed or revoked');
    if (!entry.key.scopes.includes(scope)) {
      throw new GrokcatError('API_SCOPE_MISSING', `this route needs the "${scope}" scope`, {
        details: { key: entry.key.id, scopes: entry.key.scopes },
      });
    }
    request.apiKey = entry.key;
    const last = touched.get(entry.key.id) ?? 0;
    if (Date.now() - last > TOUCH_EVERY_MS) {
      touched.set(entry.key.id, Date.now());
      keys.touch(entry.key.id).catch((error) => request.log.warn({ err: error }, 'recording key use failed'));
    }
  });
}
