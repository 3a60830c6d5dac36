import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type System, startSystem } from '../../services/system/system.ts';
import type { BusMessage } from '../../shared/bus/bus.ts';
import { DLQ_HEADERS } from '../../shared/bus/dead-letter.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import { createListingFailureRepository } from '../../shared/catalog/listing-failures.repository.ts';
import type { Config } from '../../shared/config/load-config.ts';
import type { EventCodec } from '../../shared/events/event-codec.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import { KAFKA_API, KAFKA_ERROR } from '../../shared/kafka-mock/mock-cluster-process.ts';
import { waitFor } from '../support/bus-contract.ts';
import { kafkaTestVariables } from '../support/bus-harness.ts';
import { type Scenario, writeScenarioPhotos } from '../support/catalog-scenario.ts';
import { runCli } from '../support/cli-process.ts';
import { type KafkaMock, startKafkaMock } from '../support/kafka-mock.ts';
import { cleanEnv, tempHome, testConfig, testLogger } from '../support/temp-home.ts';

// Producers that are not grokcat (kcat, Debian package kcat, on librdkafka) and a broker that refuses
// a message for good, on librdkafka's mock cluster: broker 1 leads every topic but listings.enriched,
// which broker 2 leads, so a Produce error injected on broker 2 hits only the enricher's output.
const KCAT = '/usr/bin/kcat';
const noKcat = existsSync(KCAT) ? false : `no kcat at ${KCAT}: apt-get install kcat`;
if (noKcat && process.env.CI) throw new Error(noKcat);
let mock: KafkaMock;
let system: System | undefined;
let config: Config;
let codec: EventCodec;
let scenario: Scenario;
const { home, cleanup } = tempHome();

before(async () => {
  mock = await startKafkaMock(2);
  for (const topic of Object.values(TOPICS)) {
    await mock.createTopic(topic, 1);
    await mock.createTopic(deadLetterTopic(topic), 1);
    await mock.setLeader(topic, 0, topic === TOPICS.listingsEnriched ? 2 : 1);
    await mock.setLeader(deadLetterTopic(topic), 0, 1);
  }
  config = testConfig({
    GROKCAT_HOME: home,
    ...kafkaTestVariables(mock.bootstrap),
  });
  codec = openCodec(config);
  system = await startSystem({ config, log: testLogger() });
  scenario = await writeScenarioPhotos(config.image.fileRoot);
});
after(async () => {
  await system?.stop();
  await mock?.stop();
  cleanup();
});

/** Sends one file's bytes as one message with kcat, as a producer that knows nothing of grokcat. */
async function kcatProduce(key: string, value: Buffer, headers: Record<string, string> = {}) {
  const file = path.join(home, `${key}-${Math.random().toString(36).slice(2)}.avro`);
  writeFileSync(file, value);
  const args = ['-P', '-b', mock.bootstrap, '-t', TOPICS.listingsCreated, '-p', '0', '-k', key];
  for (const [name, text] of Object.entries(headers)) args.push('-H', `${name}=${text}`);
  execFileSync(KCAT, [...args, file], { stdio: 'pipe', timeout: 30_000 });
}

async function readAll(topic: string): Promise<BusMessage[]> {
  const bus = (system as System).bus;
  const bounds = await bus.partitionBounds(topic);
  const messages: BusMessage[] = [];
  await bus.readRange(
    topic,
    bounds.map((b) => ({ partition: b.partition, from: b.low, to: b.high })),
    (chunk) => messages.push(...chunk),
  );
  return messages;
}

const cataloged = (id: string) => async () =>
  Boolean(
    await (system as System).database.knex('listings').where({ id }).whereNotNull('product_id').first(),
  );

test('the same bytes from another producer, twice and without our header, are one event', {
  skip: noKcat,
}, async () => {
  const event = scenario.listing('L-foreign', 'foreign red thing', [scenario.photos.x], 1500);
  const bytes = await codec.encode(TOPICS.listingsCreated, event);
  await kcatProduce('L-foreign', bytes);
  await kcatProduce('L-foreign', bytes);
  await kcatProduce(
    'L-sentinel',
    await codec.encode(
      TOPICS.listingsCreated,
      scenario.listing('L-sentinel', 'sentinel', [scenario.photos.z], 900),
    ),
  );
  // Same partition, in order: once the sentinel is cataloged, both copies were processed.
  await waitFor('the sentinel cataloged', cataloged('L-sentinel'));
  const enriched = [];
  for (const m of await readAll(TOPICS.listingsEnriched)) {
    const { value } = await codec.decode<{ listing_id: string; event_id: string; source_event_id: string }>(
      TOPICS.listingsEnriched,
      m.value,
    );
    if (value.listing_id === 'L-foreign') enriched.push(value);
  }
  assert.ok(enriched.length >= 1);
  assert.deepEqual(
    [...new Set(enriched.map((e) => e.source_event_id))],
    [event.event_id],
    'both copies carry the body event_id',
  );
  assert.equal(new Set(enriched.map((e) => e.event_id)).size, 1, 'one enrichment event id, not one per copy');
});

test('a grokcat-event-id header that disagrees with the body is dead-lettered with the reason', {
  skip: noKcat,
}, async () => {
  const event = scenario.listing('L-conflict', 'conflicting ids', [scenario.photos.y], 700);
  await kcatProduce('L-conflict', await codec.encode(TOPICS.listingsCreated, event), {
    'grokcat-event-id': 'some-other-id',
  });
  await waitFor('the conflict dead-lettered', async () =>
    (await readAll(deadLetterTopic(TOPICS.listingsCreated))).some((m) => m.key === 'L-conflict'),
  );
  const dead = (await readAll(deadLetterTopic(TOPICS.listingsCreated))).find((m) => m.key === 'L-conflict');
  assert.equal(dead?.headers[DLQ_HEADERS.code], 'EVENT_ID_CONFLICT');
  assert.match(dead?.headers[DLQ_HEADERS.reason] ?? '', /some-other-id.*disagrees.*event_id/);
});

test('a permanent publish error dead-letters its event with the reason and the partition moves on', async () => {
  // One MESSAGE_TOO_LARGE for the next Produce to listings.enriched's leader: kafkajs marks it not retriable.
  await mock.pushBrokerRequestErrors(2, KAFKA_API.produce, [KAFKA_ERROR.messageTooLarge]);
  const publish = async (id: string, photo: string) =>
    (system as System).bus.publish([
      {
        topic: TOPICS.listingsCreated,
        key: id,
        value: await codec.encode(
          TOPICS.listingsCreated,
          scenario.listing(id, `listing ${id}`, [photo], 1200),
        ),
      },
    ]);
  await publish('L-rejected', scenario.photos.x);
  await waitFor('the rejected listing dead-lettered', async () =>
    (await readAll(deadLetterTopic(TOPICS.listingsCreated))).some((m) => m.key === 'L-rejected'),
  );
  const dead = (await readAll(deadLetterTopic(TOPICS.listingsCreated))).find((m) => m.key === 'L-rejected');
  assert.equal(dead?.headers[DLQ_HEADERS.code], 'BUS_PUBLISH_REJECTED');
  assert.match(dead?.headers[DLQ_HEADERS.reason] ?? '', /MESSAGE_TOO_LARGE|larger than the max message size/);
  const status = await createListingFailureRepository((system as System).database.knex).status('L-rejected');
  assert.equal(status?.status, 'failed');

  await publish('L-after', scenario.photos.z);
  await waitFor('the next listing cataloged', cataloged('L-after'));
});

test('grokcat topics dead-letters reads a dead-letter topic larger than one fetch on Kafka, moving no offsets', async () => {
  const dlq = deadLetterTopic(TOPICS.photosUploaded);
  const filler = Buffer.alloc(2000, 7);
  const bus = (system as System).bus;
  for (let chunk = 0; chunk < 6; chunk++) {
    await bus.publish(
      Array.from({ length: 500 }, (_, i) => ({
        topic: dlq,
        key: `p-${chunk}-${i}`,
        value: filler,
        headers: {
          [DLQ_HEADERS.code]: i % 2 ? 'EVENT_INVALID' : 'IMAGE_REFUSED',
          [DLQ_HEADERS.reason]: 'filler',
        },
      })),
    );
  }
  const read = await runCli(
    ['topics', 'dead-letters', TOPICS.photosUploaded, '--limit', '5', '--json'],
    cleanEnv({ GROKCAT_HOME: home, KAFKA_BROKERS: mock.bootstrap, KAFKA_TIMESTAMP_LOOKUP: 'false' }),
  );
  assert.equal(read.code, 0, read.stderr);
  const report = read.json as { total: number; by_code: Record<string, number>; messages: { key: string }[] };
  // The mock keeps a bounded log: what it retains, several fetches' worth, is what must be read.
  const retained = (await bus.partitionBounds(dlq)).reduce((n, b) => n + Number(b.high) - Number(b.low), 0);
  assert.ok(retained * filler.length > 4 * 1024 * 1024, `only ${retained} retained`);
  assert.equal(report.total, retained);
  assert.deepEqual(report.by_code, { EVENT_INVALID: retained / 2, IMAGE_REFUSED: retained / 2 });
  assert.equal(report.messages.length, 5);
  assert.deepEqual(await bus.groupOffsets('grokcat-dead-letters', dlq), []);
});
