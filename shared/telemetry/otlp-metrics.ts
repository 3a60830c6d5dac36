import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtobufExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

/**
 * Metrics pushed over OTLP beside the Prometheus reader, so processes without the API (an enricher,
 * a cataloger) are observed too: the protocol from OTEL_EXPORTER_OTLP_METRICS_PROTOCOL or
 * OTEL_EXPORTER_OTLP_PROTOCOL (default http/protobuf, as the SDK's), every
 * OTEL_METRIC_EXPORT_INTERVAL ms (default 60000).
 */
export async function otlpMetricReader(env: NodeJS.ProcessEnv): Promise<MetricReader> {
  const protocol = (env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim();
  const exporter =
    protocol === 'grpc'
      ? new GrpcExporter()
      : protocol === 'http/json'
        ? new JsonExporter()
        : new ProtobufExporter();
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: Number.isFinite(interval) && interval > 0 ? interval : 60_000,
  });
}
