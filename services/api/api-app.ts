import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { PACKAGE_VERSION } from '../../shared/config/package-version.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import { prometheusReader } from '../../shared/telemetry/prometheus-metrics.ts';
import { registerAuth } from './api-auth.ts';
import type { ApiContext } from './api-context.ts';
import { registerErrorHandling } from './api-errors.ts';
import { registerHttpMetrics } from './api-metrics.ts';
import { API_SCHEMAS } from './api-schemas.ts';
import { registerHttpTracing } from './api-tracing.ts';
import { registerImageRoutes } from './routes/images.routes.ts';
import { registerLabelRoutes } from './routes/labels.routes.ts';
import { registerListingRoutes } from './routes/listings.routes.ts';
import { registerModelRoutes } from './routes/models.routes.ts';
import { registerOpsRoutes } from './routes/ops.routes.ts';
import { registerPhotoRoutes } from './routes/photos.routes.ts';
import { registerProductRoutes } from './routes/products.routes.ts';
import { registerSearchRoutes } from './routes/search.routes.ts';

const CONSOLE_DIR = fileURLToPath(new URL('./console/', import.meta.url));

/**
 * The HTTP API and the console as one Fastify app (not listening: the service does that). Every
 * route has a JSON Schema: requests are validated, responses serialised, and the same schemas make
 * the OpenAPI document at /v1/openapi.json.
 */
export async function buildApi(api: ApiContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: api.log.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: api.config.api.maxBodyBytes,
    // Requests are logged (and traced) by our own hooks, with the key id and route bound.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    ajv: {
      // Unknown fields are refused, not silently dropped; `kind` picks a label's schema.
      customOptions: { removeAdditional: false, discriminator: true, coerceTypes: 'array' },
    },
  });
  registerErrorHandling(app);
  registerHttpTracing(app);
  // JSON and multipart only: other bodies are refused with 415 rather than parsed as text.
  app.removeContentTypeParser('text/plain');
  for (const schema of API_SCHEMAS) app.addSchema(schema);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'grokcat API',
        version: PACKAGE_VERSION,
        description:
          'Catalog enrichment: publish listings, read enriched records, products and price suggestions, visual search, labels, models. Errors are `{ error: { code, message, retriable } }`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer gk_...' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: api.config.image.maxBytes, files: 1, fields: 20, fieldSize: 10_000, parts: 21 },
  });
  registerAuth(app, api.keys);
  // Postgres text cannot hold NUL: refused here with the field named, not failing deep in a query.
  app.addHook('preHandler', async (request) => {
    const where = nulField({ params: request.params, query: request.query, body: request.body });
    if (where) throw new GrokcatError('REQUEST_INVALID', `${where} contains a NUL character (U+0000)`);
  });
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'preHandler',
    timeWindow: 60_000,
    // Only keyed routes count; public ones (health, metrics, console, image links) are not limited here.
    allowList: (request) => request.apiKey === null,
    keyGenerator: (request) => request.apiKey?.id ?? request.ip,
    max: (request) => request.apiKey?.rate_limit ?? api.config.api.rateLimitPerMinute,
    errorResponseBuilder: (_request, context) =>
      new GrokcatError(
        'RATE_LIMITED',
        `rate limit of ${context.max} requests per minute reached; retry in ${Math.ceil(context.ttl / 1000)} s`,
        {
          details: { limit: context.max, retry_after_s: Math.ceil(context.ttl / 1000) },
        },
      ),
  });
  // A process without telemetry started (tests, embedding) still answers /metrics.
  if (process.env.OTEL_SDK_DISABLED !== 'true') prometheusReader();
  registerHttpMetrics(app);

  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  registerListingRoutes(app, api);
  registerProductRoutes(app, api);
  registerPhotoRoutes(app, api);
  registerSearchRoutes(app, api);
  registerLabelRoutes(app, api);
  registerModelRoutes(app, api);
  registerImageRoutes(app, api);
  registerOpsRoutes(app, api);

  await app.register(fastifyStatic, { root: CONSOLE_DIR, prefix: '/console/', index: false, maxAge: 0 });
  app.get('/', { schema: { hide: true } }, (_request, reply) =>
    reply
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .sendFile('index.html', path.resolve(CONSOLE_DIR)),
  );
  return app;
}

// The console is plain files: scripts and styles only from this origin, no inline script.
const CONSOLE_CSP =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The path of the first string holding U+0000 (`body.title`), or null; uploads' bytes are not text. */
function nulField(value: unknown, where = '', depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? where : null;
  if (depth > 8 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return null;
  for (const [key, inner] of Object.entries(value)) {
    const found = nulField(inner, where ? `${where}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return null;
}
