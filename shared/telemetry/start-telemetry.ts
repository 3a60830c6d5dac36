// Imported first by bin/grokcat.js, before any other module, so instrumentation sees every import.
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { serviceNameOf } from './service-name.ts';

/**
 * OpenTelemetry for every grokcat process. W3C trace context always travels in event headers, so a
 * trace can be followed across services; metrics are readable by Prometheus (the API's /metrics);
 * when OTEL_EXPORTER_OTLP_ENDPOINT is set, spans and metrics are also exported over OTLP (the
 * standard OTEL_* variables configure the rest: OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME,
 * OTEL_TRACES_SAMPLER...). OTEL_SDK_DISABLED=true turns all of it off.
 */
if (process.env.OTEL_SDK_DISABLED !== 'true') {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const otlp = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  // Metrics are always readable by Prometheus at the API's /metrics, with or without OTLP.
  const { prometheusReader } = await import('./prometheus-metrics.ts');
  const reader = prometheusReader(!otlp);
  if (otlp) {
    const [{ NodeSDK }, { otlpMetricReader }, { onTelemetryFlush }] = await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('./otlp-metrics.ts'),
      import('./telemetry-flush.ts'),
    ]);
    const sdk = new NodeSDK({
      serviceName: serviceNameOf(process.env, process.argv),
      metricReaders: [reader, await otlpMetricReader(process.env)],
    });
    sdk.start();
    // Spans still in the batch processor leave on exit: the clean shutdown flushes them.
    const shutdown = () => sdk.shutdown().catch(() => {});
    process.once('beforeExit', shutdown);
    onTelemetryFlush(shutdown);
  }
}
