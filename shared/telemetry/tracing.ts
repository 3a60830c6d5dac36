import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

const tracer = trace.getTracer('grokcat');

/** Attributes of a span that writes rows (OpenTelemetry database semantic conventions). */
export const dbWrite = (tables: string[], operation = 'UPSERT'): Attributes => ({
  'db.system.name': 'postgresql',
  'db.operation.name': operation,
  'db.collection.name': tables.join(','),
});

/**
 * Runs `work` inside a span (a child of `parent`, default the active context) that is active while
 * it runs, records a thrown error and always ends. Without a registered tracer provider the span is
 * a no-op that only carries its parent's context, so this costs next to nothing.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  parent: Context = context.active(),
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, kind }, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * A span ended by the caller, for work whose end is not the end of a callback (a fetch that is done
 * when its bytes are handed on, while they are still held). `end(error)` records a failure.
 */
export function openSpan(name: string, attributes: Attributes, parent: Context = context.active()) {
  const span = tracer.startSpan(name, { attributes }, parent);
  let ended = false;
  return {
    span,
    end(error?: unknown) {
      if (ended) return;
      ended = true;
      if (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      }
      span.end();
    },
  };
}

/** The active trace context, to start sibling spans from. */
export const currentContext = (): Context => context.active();
