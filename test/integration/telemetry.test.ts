import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { startConsumer } from '../../shared/bus/consumer-runtime.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { listingEvent, waitFor } from '../support/bus-contract.ts';
import { type BusHarness, createEmbeddedHarness } from '../support/bus-harness.ts';
import { testLogger } from '../support/temp-home.ts';

const spans = new InMemorySpanExporter();
const reader = new PeriodicExportingMetricReader({
  exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
  exportIntervalMillis: 60_000,
});
let h: BusHarness;

before(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  h = await createEmbeddedHarness();
});
after(async () => {
  await h?.close();
});

test('trace context travels in message headers; spans per batch and per message; consumer metrics', async () => {
  const topic = await h.topic('listings.created', 2);
  const publisher = createEventPublisher({ bus: h.bus, codec: h.codec });
  const tracer = trace.getTracer('test');
  const producerSpan = tracer.startSpan('POST /v1/listings');
  await context.with(trace.setSpan(context.active(), producerSpan), () =>
    publisher.publish([0, 1, 2].map((seq) => ({ topic, key: 'k', value: listingEvent('k', seq) }))),
  );
  producerSpan.end();

  const seen: { traceparent?: string }[] = [];
  const consumer = await startConsumer({
    bus: h.bus,
    codec: h.codec,
    log: testLogger(),
    group: h.group(),
    topics: [topic],
    retry: { attempts: 2, baseMs: 10, maxMs: 20 },
    handler: async (events) => {
      seen.push(...events.map((e) => ({ traceparent: e.headers.traceparent })));
    },
  });
  await waitFor('3 events', () => seen.length >= 3);
  await consumer.stop();

  const traceId = producerSpan.spanContext().traceId;
  const finished = spans.getFinishedSpans();
  // Each event gets a producer span (`send <topic>`), a child of the caller's; its id travels.
  const sends = finished.filter((s) => s.name === `send ${topic}`);
  assert.equal(sends.length, 3);
  for (const send of sends) {
    assert.equal(send.parentSpanContext?.spanId, producerSpan.spanContext().spanId);
  }
  const sendIds = new Set(sends.map((s) => s.spanContext().spanId));
  for (const { traceparent } of seen) {
    const [, trace, parent] = (traceparent ?? '').split('-');
    assert.equal(trace, traceId);
    assert.ok(sendIds.has(parent as string), 'the header names the send span');
  }
  const perMessage = finished.filter((s) => s.name === `process ${topic}`);
  assert.equal(perMessage.length, 3);
  for (const span of perMessage) {
    assert.equal(span.spanContext().traceId, traceId, 'the message span continues the producer trace');
    assert.ok(sendIds.has(span.parentSpanContext?.spanId as string), 'a child of its send span');
  }
  const batch = finished.find((s) => s.name === `consume ${topic}`);
  assert.ok(batch, 'a span per batch');
  assert.equal(batch.attributes['messaging.batch.message_count'], 3);

  const { resourceMetrics } = await reader.collect();
  const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  const processed = all.find((m) => m.descriptor.name === 'grokcat.consumer.processed');
  const total = (processed?.dataPoints ?? []).reduce((sum, point) => sum + Number(point.value), 0);
  assert.equal(total, 3);
  assert.ok(all.some((m) => m.descriptor.name === 'grokcat.consumer.batch.duration'));
});
