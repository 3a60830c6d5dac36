import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

let exporter: PrometheusExporter | null = null;

/**
 * The process's Prometheus reader of OpenTelemetry metrics, scraped through the API's /metrics
 * (never its own server). Created once; `registerMeterProvider` is false when an OpenTelemetry
 * SDK registers the meter provider itself with this reader among its readers.
 */
export function prometheusReader(registerMeterProvider = true): PrometheusExporter {
  if (exporter) return exporter;
  exporter = new PrometheusExporter({ preventServerStart: true });
  if (registerMeterProvider) {
    // Fails (returns false) when a provider is already registered: then that one is kept.
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }));
  }
  return exporter;
}

/** Every metric of the process in Prometheus' text exposition format. */
export async function prometheusText(): Promise<string> {
  const { resourceMetrics, errors } = await prometheusReader().collect();
  const text = new PrometheusSerializer().serialize(resourceMetrics);
  return errors.length > 0 ? `# collection errors: ${errors.length}\n${text}` : text;
}
