import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ConsumedEvent, startConsumer } from '../../shared/bus/consumer-runtime.ts';
import { createEventPublisher, type EventToPublish } from '../../shared/bus/event-publisher.ts';
import { listingEvent, waitFor } from '../support/bus-contract.ts';
import { type BusHarness, createKafkaHarness } from '../support/bus-harness.ts';
import { testLogger } from '../support/temp-home.ts';

type Listing = { title: string };
const PRODUCE = 0;
const FETCH = 1;
const NOT_LEADER_OR_FOLLOWER = 6;
const REQUEST_TIMED_OUT = 7;
const SYNC_GROUP = 14;
const INVALID_REQUEST = 42;

/** Per key, the sequence numbers in first-delivery order (redeliveries after faults are allowed). */
function firstDeliveries(seen: ConsumedEvent<Listing>[]): Map<string, number[]> {
  const firsts = new Map<string, number[]>();
  const ids = new Set<string>();
  for (const event of seen) {
    if (ids.has(event.eventId)) continue;
    ids.add(event.eventId);
    firsts.set(event.key ?? '', [
      ...(firsts.get(event.key ?? '') ?? []),
      Number(event.value.title.split(':')[1]),
    ]);
  }
  return firsts;
}

/** Every key got every round, first deliveries in publish order. */
function assertEveryKeyInOrder(seen: ConsumedEvent<Listing>[], keys: number, rounds: number) {
  const firsts = firstDeliveries(seen);
  for (let k = 0; k < keys; k++) {
    assert.deepEqual(
      firsts.get(`k${k}`),
      Array.from({ length: rounds }, (_, i) => i),
      `key k${k}`,
    );
  }
}

describe('Kafka faults (librdkafka mock cluster)', () => {
  let h: BusHarness;
  before(async () => {
    h = await createKafkaHarness();
  });
  after(async () => {
    await h?.close();
  });

  /** Publishes `rounds` rounds of one event per key, retrying a failed publish as a real producer would. */
  async function publishThrough(
    topic: string,
    keys: number,
    rounds: number,
    onRound: (round: number) => Promise<void>,
  ) {
    const publisher = createEventPublisher({ bus: h.bus, codec: h.codec });
    let retries = 0;
    for (let round = 0; round < rounds; round++) {
      await onRound(round);
      const batch: EventToPublish[] = Array.from({ length: keys }, (_, k) => ({
        topic,
        key: `k${k}`,
        value: listingEvent(`k${k}`, round),
      }));
      for (;;) {
        try {
          await publisher.publish(batch);
          break;
        } catch {
          retries += 1;
          await sleep(200);
        }
      }
    }
    return retries;
  }

  async function consumeAll(topic: string) {
    const seen: ConsumedEvent<Listing>[] = [];
    const consumer = await startConsumer<Listing>({
      bus: h.newBus(),
      codec: h.codec,
      log: testLogger(),
      group: h.group(),
      topics: [topic],
      retry: { attempts: 3, baseMs: 20, maxMs: 200 },
      handler: async (events) => {
        seen.push(...events);
      },
    });
    return { seen, consumer };
  }

  test('brokers taken down and brought back lose nothing and keep per-key order', async () => {
    const topic = await h.topic('listings.created', 6);
    const mock = h.mock;
    assert.ok(mock);
    const { seen, consumer } = await consumeAll(topic);
    const keys = 12;
    const rounds = 30;
    // The mock moves no leadership (replication factor 1): while a broker is down its partitions
    // are unavailable and publishes to them fail until it is back, as with an unreplicated topic.
    const faults = (async () => {
      await sleep(300);
      await mock.brokerDown(1);
      await sleep(2500);
      await mock.brokerUp(1);
      await sleep(500);
      await mock.brokerDown(2);
      await sleep(2500);
      await mock.brokerUp(2);
    })();
    // kafkajs retries a produce for up to about a minute, so the outages mostly show as slow publishes.
    await publishThrough(topic, keys, rounds, () => sleep(100));
    await faults;
    await waitFor('every event', () => new Set(seen.map((e) => e.eventId)).size >= keys * rounds, 120_000);
    await consumer.stop();
    assertEveryKeyInOrder(seen, keys, rounds);
  });

  test('request errors on produce and fetch are retried: nothing lost', async () => {
    const topic = await h.topic('listings.created', 4);
    const mock = h.mock;
    assert.ok(mock);
    const { seen, consumer } = await consumeAll(topic);
    const keys = 8;
    const rounds = 10;
    await publishThrough(topic, keys, rounds, async (round) => {
      if (round % 3 === 0) await mock.pushRequestErrors(PRODUCE, [NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT]);
      if (round % 4 === 0)
        await mock.pushRequestErrors(FETCH, [NOT_LEADER_OR_FOLLOWER, NOT_LEADER_OR_FOLLOWER]);
    });
    await waitFor('every event', () => new Set(seen.map((e) => e.eventId)).size >= keys * rounds, 120_000);
    await consumer.stop();
    assertEveryKeyInOrder(seen, keys, rounds);
  });

  test('a consumer kafkajs gives up on (a non-retriable group error) is replaced: nothing lost', async () => {
    const topic = await h.topic('listings.created', 4);
    const mock = h.mock;
    assert.ok(mock);
    const keys = 6;
    await publishThrough(topic, keys, 1, async () => {});
    // SyncGroup answered with INVALID_REQUEST (42): kafkajs crashes the consumer without restarting it.
    await mock.pushRequestErrors(SYNC_GROUP, [INVALID_REQUEST]);
    const { seen, consumer } = await consumeAll(topic);
    await publishThrough(topic, keys, 2, async () => {});
    await waitFor('every event', () => new Set(seen.map((e) => e.eventId)).size >= keys * 2, 120_000);
    await consumer.stop();
    assert.ok(new Set(seen.map((e) => e.eventId)).size >= keys * 2);
  });
});
