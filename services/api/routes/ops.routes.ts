import type { FastifyInstance } from 'fastify';
import { GrokcatError, toGrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { prometheusText } from '../../../shared/telemetry/prometheus-metrics.ts';
import type { ApiContext } from '../api-context.ts';

/** Liveness, readiness and Prometheus metrics: no API key (keep them off the public network). */
export function registerOpsRoutes(app: FastifyInstance, api: ApiContext): void {
  const hidden = { hide: true };
  app.get('/healthz', { schema: { ...hidden, tags: ['operations'] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { ...hidden, tags: ['operations'] } }, async (_request, reply) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    await Promise.all(
      Object.entries(api.readiness).map(async ([name, check]) => {
        try {
          checks[name] = { ok: await check() };
        } catch (error) {
          checks[name] = { ok: false, error: toGrokcatError(error).message };
        }
      }),
    );
    const ready = Object.values(checks).every((check) => check.ok);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', { schema: { ...hidden, tags: ['operations'] } }, async (_request, reply) => {
    try {
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(await prometheusText());
    } catch (error) {
      throw new GrokcatError('INTERNAL', 'metrics could not be collected', { cause: error });
    }
  });
}
