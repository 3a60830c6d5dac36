import { metrics as otelMetrics } from '@opentelemetry/api';

/**
 * The consumer's OpenTelemetry metrics. Without a registered SDK these are no-ops; the service's
 * telemetry bootstrap exports them (Prometheus, OTLP).
 */
export function createConsumerMetrics(group: string) {
  const meter = otelMetrics.getMeter('grokcat.consumer');
  const processed = meter.createCounter('grokcat.consumer.processed', {
    description: 'events handled successfully',
  });
  const failed = meter.createCounter('grokcat.consumer.failed', {
    description: 'handler attempts that failed',
  });
  const deadLettered = meter.createCounter('grokcat.consumer.dead_lettered', {
    description: 'messages sent to a dead-letter topic',
  });
  const batchDuration = meter.createHistogram('grokcat.consumer.batch.duration', {
    description: 'time to process one partition batch',
    unit: 'ms',
  });
  const eventAge = meter.createHistogram('grokcat.consumer.event_age', {
    description: 'time from an event being written to the bus to its handler finishing (freshness)',
    unit: 'ms',
    advice: {
      explicitBucketBoundaries: [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000],
    },
  });
  const lagGauge = meter.createObservableGauge('grokcat.consumer.lag', {
    description: 'messages behind the end of the partition after the last batch',
  });
  const lags = new Map<string, { topic: string; partition: number; lag: number }>();
  const observe = (result: { observe(value: number, attributes: Record<string, string | number>): void }) => {
    for (const { topic, partition, lag } of lags.values()) result.observe(lag, { group, topic, partition });
  };
  lagGauge.addCallback(observe);

  return {
    processed: (topic: string, count: number) => processed.add(count, { group, topic }),
    failed: (topic: string, code: string) => failed.add(1, { group, topic, code }),
    deadLettered: (topic: string) => deadLettered.add(1, { group, topic }),
    batchDuration: (topic: string, ms: number) => batchDuration.record(ms, { group, topic }),
    eventAge: (topic: string, ms: number) => eventAge.record(Math.max(0, ms), { group, topic }),
    lag: (topic: string, partition: number, lag: bigint) =>
      lags.set(`${topic}:${partition}`, { topic, partition, lag: Number(lag < 0n ? 0n : lag) }),
    close: () => lagGauge.removeCallback(observe),
  };
}
