import { metrics } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';

/** Requests and their durations by route and status, for /metrics (OpenTelemetry -> Prometheus). */
export function registerHttpMetrics(app: FastifyInstance): void {
  const meter = metrics.getMeter('grokcat.api');
  const requests = meter.createCounter('grokcat.http.requests', { description: 'HTTP requests answered' });
  const duration = meter.createHistogram('grokcat.http.duration', {
    description: 'time to answer an HTTP request',
    unit: 'ms',
  });
  app.addHook('onResponse', async (request, reply) => {
    const attributes = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
    };
    requests.add(1, attributes);
    request.log.debug(
      { ...attributes, ms: Math.round(reply.elapsedTime), key: request.apiKey?.id },
      'request',
    );
    duration.record(reply.elapsedTime, attributes);
  });
}
