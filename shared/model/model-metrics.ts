import { metrics } from '@opentelemetry/api';

/**
 * The model runtime's metrics: how full its batches are, how long a run takes, and which version
 * serves (a gauge of 1 labelled with the version). No-ops until telemetry registers a provider.
 */
export function createModelMetrics(version: () => string) {
  const meter = metrics.getMeter('grokcat.model');
  const batchSize = meter.createHistogram('grokcat.model.batch.size', {
    description: 'images in one model run (dynamic micro-batching)',
    advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 32, 64, 128] },
  });
  const runDuration = meter.createHistogram('grokcat.model.run.duration', {
    description: 'time of one batched model run (ONNX Runtime session.run)',
    unit: 'ms',
  });
  const serving = meter.createObservableGauge('grokcat.model.serving', {
    description: '1 for the model version this runtime serves',
  });
  const observe = (result: { observe(value: number, attributes: Record<string, string>): void }) =>
    result.observe(1, { version: version() });
  serving.addCallback(observe);
  return {
    run: (images: number, ms: number, modelVersion: string) => {
      batchSize.record(images, { version: modelVersion });
      runDuration.record(ms, { version: modelVersion });
    },
    close: () => serving.removeCallback(observe),
  };
}
