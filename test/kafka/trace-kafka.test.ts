import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type ServiceProcess, startServiceProcess } from '../../services/bench/faults/service-process.ts';
import { createApiKeyRepository } from '../../shared/api-keys/api-key.repository.ts';
import { openBus } from '../../shared/bus/open-bus.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import { type PgliteTcpServer, startPgliteTcpServer } from '../../shared/db/pglite-tcp-server.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import { PRODUCT_COLOURS, renderShapeProduct } from '../../shared/image/product-render.ts';
import { ensureModel } from '../../shared/model/model-store.ts';
import { waitFor } from '../support/bus-contract.ts';
import { type KafkaMock, startKafkaMock } from '../support/kafka-mock.ts';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { cleanEnv, tempHome, testConfig, testLogger } from '../support/temp-home.ts';

// One trace follows a listing from POST /v1/listings through the api, enricher and cataloger, each
// in its own process, across Kafka (the mock cluster) to its rows: read from the spans the three
// processes export over OTLP, as an OpenTelemetry collector would receive them.

const { home, cleanup } = tempHome();
let mock: KafkaMock;
let pg: PgliteTcpServer;
let database: Database;
let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
const services: ServiceProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  [mock, pg, otlp] = await Promise.all([
    startKafkaMock(1),
    startPgliteTcpServer({ withPgvector: true }),
    startOtlpReceiver(),
  ]);
  for (const topic of Object.values(TOPICS)) {
    await mock.createTopic(topic, 2);
    await mock.createTopic(deadLetterTopic(topic), 1);
  }
});
after(async () => {
  for (const service of services) await service.stop().catch(() => {});
  await database?.close();
  await Promise.all([mock?.stop(), pg?.stop(), otlp?.close()]);
  cleanup();
});

test('one trace follows a listing from POST /v1/listings through every service to its rows', async () => {
  const model = await ensureModel(testConfig({ GROKCAT_HOME: home }), testLogger());
  const port = await freePort();
  const vars = {
    GROKCAT_HOME: home,
    GROKCAT_MODEL: path.dirname(model.onnxPath),
    DATABASE_URL: pg.url,
    KAFKA_BROKERS: mock.bootstrap,
    KAFKA_TIMESTAMP_LOOKUP: 'false',
    GROKCAT_HTTP_PORT: String(port),
    GROKCAT_CONSUMER_SESSION_TIMEOUT_MS: '6000',
    GROKCAT_CONSUMER_HEARTBEAT_MS: '500',
    GROKCAT_DEMO_SEED_LISTINGS: '0',
    GROKCAT_LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
  };
  const config = testConfig(vars);
  database = await openDatabase(config, { log: testLogger() });
  const { key } = await createApiKeyRepository(database.knex).create({ name: 'trace', scopes: ['write'] });
  const env = cleanEnv(vars);
  delete env.OTEL_SERVICE_NAME;
  services.push(
    ...(await Promise.all(
      ['api', 'enricher', 'cataloger'].map((name) => startServiceProcess({ name, services: name, env })),
    )),
  );

  const photo = path.join(config.image.fileRoot, 'traced.png');
  writeFileSync(photo, await renderShapeProduct(2, PRODUCT_COLOURS[3]?.rgb ?? [200, 40, 40], 1, 0));
  const response = await fetch(`http://127.0.0.1:${port}/v1/listings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      listing_id: 'traced-1',
      title: 'Red traced bag',
      price: { amount_minor: 2500, currency: 'EUR' },
      images: [{ url: pathToFileURL(photo).href }],
    }),
  });
  assert.equal(response.status, 202, await response.clone().text());

  const row = async () =>
    (await database.knex('listings').where({ id: 'traced-1' }).first('product_id')) as
      | { product_id: number | null }
      | undefined;
  await waitFor('the listing cataloged', async () => (await row())?.product_id != null, 120_000);
  const productId = Number((await row())?.product_id);

  const named = (name: string, service: string) => (s: ReceivedSpan) =>
    s.name === name && s.service === service;
  await waitFor(
    'the cataloger span exported',
    () => otlp.spans.some(named('catalog listing', 'grokcat-cataloger')),
    30_000,
  );
  const request = otlp.spans.find(named('POST /v1/listings', 'grokcat-api'));
  assert.ok(
    request,
    `the API's request span; got ${otlp.spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
  );
  const inTrace = otlp.spans.filter((s) => s.traceId === request.traceId);
  const byId = new Map(inTrace.map((s) => [s.spanId, s]));
  const ancestry = (span: ReceivedSpan) => {
    const chain: string[] = [];
    for (let at: ReceivedSpan | undefined = span; at; at = byId.get(at.parentSpanId))
      chain.push(`${at.service}: ${at.name}`);
    return chain;
  };

  const cataloged = inTrace.find(named('catalog listing', 'grokcat-cataloger'));
  assert.ok(cataloged, 'the cataloger continued the listing trace');
  assert.deepEqual(ancestry(cataloged), [
    'grokcat-cataloger: catalog listing',
    `grokcat-cataloger: process ${TOPICS.listingsEnriched}`,
    `grokcat-enricher: send ${TOPICS.listingsEnriched}`,
    `grokcat-enricher: process ${TOPICS.listingsCreated}`,
    `grokcat-api: send ${TOPICS.listingsCreated}`,
    'grokcat-api: POST /v1/listings',
  ]);
  assert.equal(cataloged.attributes['grokcat.listing.id'], 'traced-1');
  assert.equal(cataloged.attributes['grokcat.product.id'], productId, 'the span names the row it wrote');
  assert.equal(cataloged.attributes['db.system.name'], 'postgresql');

  const written = inTrace.find(named('write listing', 'grokcat-enricher'));
  assert.ok(written, "the enricher's write of the listing row is in the trace");
  assert.deepEqual(ancestry(written).slice(0, 2), [
    'grokcat-enricher: write listing',
    `grokcat-enricher: process ${TOPICS.listingsCreated}`,
  ]);
  for (const name of ['enrich listing', 'fetch photo', 'model run']) {
    assert.ok(inTrace.some(named(name, 'grokcat-enricher')), `${name} in the trace`);
  }
  assert.ok(inTrace.some(named(`send ${TOPICS.listingsCataloged}`, 'grokcat-cataloger')));
  assert.equal(request.attributes['http.response.status_code'], 202);

  // The context crossed Kafka in the messages' headers: the enriched event's traceparent.
  const bus = openBus(config, { database, log: testLogger() });
  const headers: Record<string, string>[] = [];
  const subscription = await bus.subscribe({
    group: `trace-test-${Date.now()}`,
    topics: [TOPICS.listingsEnriched],
    fromBeginning: true,
    onBatch: async (batch) => {
      headers.push(...batch.messages.filter((m) => m.key === 'traced-1').map((m) => m.headers));
      return batch.messages.at(-1)?.offset ?? null;
    },
  });
  await waitFor('the enriched event read back', () => headers.length > 0, 30_000);
  await subscription.stop();
  await bus.close();
  assert.match(headers[0]?.traceparent ?? '', new RegExp(`^00-${request.traceId}-[0-9a-f]{16}-01$`));
});
