// Imported first by bin/grokcat.js, before any other module, so instrumentation sees every import.
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * OpenTelemetry for every grokcat process. W3C trace context always travels in event headers, so a
 * trace can be followed across services; metrics are readable by Prometheus (the API's
 * /metrics); spans and metrics are exported (OTLP) only when OTEL_EXPORTER_OTLP_ENDPOINT is set, with the standard OTEL_* variables configuring the rest.
 * OTEL_SDK_DISABLED=true turns all of it off.
 */
if (process.env.OTEL_SDK_DISABLED !== 'true') {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const otlp = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  // Metrics are always readable by Prometheus at the API's /metrics, with or without OTLP.
  const { prometheusReader } = await import('./prometheus-metrics.ts');
  const reader = prometheusReader(!otlp);
  if (otlp) {
    const { NodeSDK } = await import('@opentelemetry/sdk-node');
    const sdk = new NodeSDK({
      serviceName: process.env.OTEL_SERVICE_NAME ?? 'grokcat',
      metricReaders: [reader],
    });
    sdk.start();
    const shutdown = () => {
      sdk.shutdown().catch(() => {});
    };
    process.once('beforeExit', shutdown);
  }
}
