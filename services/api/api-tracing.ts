import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    span: Span | null;
  }
}

const tracer = trace.getTracer('grokcat.api');

/**
 * A server span per request (`POST /v1/listings`), continuing the caller's W3C `traceparent` if it
 * sent one, active while the route's handler runs: events the handler publishes carry it, so one
 * trace follows a listing from the request through every service. Register before the routes.
 */
export function registerHttpTracing(app: FastifyInstance): void {
  app.decorateRequest('span', null);
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    request.span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0] ?? '',
          'grokcat.request.id': request.id,
        },
      },
      parent,
    );
  });
  // Fastify runs a handler outside the hook's async context: the route's handler is wrapped so the
  // request's span is the active one inside it.
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function traced(this: unknown, request: FastifyRequest, reply: FastifyReply) {
      const span = request.span;
      if (!span) return handler.call(this as never, request, reply);
      return context.with(trace.setSpan(context.active(), span), () =>
        handler.call(this as never, request, reply),
      );
    };
  });
  app.addHook('onError', async (request, _reply, error) => {
    request.span?.recordException(error);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = request.span;
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (request.apiKey) span.setAttribute('grokcat.api_key.id', request.apiKey.id);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
