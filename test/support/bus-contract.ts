import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Bus, BusMessage } from '../../shared/bus/bus.ts';
import { type ConsumedEvent, type EventHandler, startConsumer } from '../../shared/bus/consumer-runtime.ts';
import { DLQ_HEADERS } from '../../shared/bus/dead-letter.ts';
import { createEventPublisher, newEventId } from '../../shared/bus/event-publisher.ts';
import { replay } from '../../shared/bus/replay.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import { deadLetterTopic } from '../../shared/events/topics.ts';
import { type BusHarness, FAST_CONSUMER } from './bus-harness.ts';
import { tempHome, testLogger } from './temp-home.ts';

type Listing = { listing_id: string; title: string };
const RETRY = { attempts: 4, baseMs: 10, maxMs: 50 };
const CHILD = fileURLToPath(new URL('./consumer-child.ts', import.meta.url));

export function listingEvent(key: string, seq: number, title = `${key}:${seq}`) {
  return {
    event_id: newEventId(),
    occurred_at: Date.now(),
    listing_id: key,
    title,
    description: '',
    price: null,
    seller_id: null,
    marketplace_category: null,
    images: [],
    seller_attributes: {},
    condition: null,
  };
}

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Publishes `perKey` events for each of `keys` keys, in order per key, in a few batches. */
async function publishListings(h: BusHarness, topic: string, keys: number, perKey: number, prefix = 'k') {
  const publisher = createEventPublisher({ bus: h.bus, codec: h.codec });
  for (let seq = 0; seq < perKey; seq++) {
    await publisher.publish(
      Array.from({ length: keys }, (_, k) => ({
        topic,
        key: `${prefix}${k}`,
        value: listingEvent(`${prefix}${k}`, seq),
      })),
    );
  }
}

async function consume(
  h: BusHarness,
  bus: Bus,
  topic: string,
  group: string,
  handler?: EventHandler<Listing>,
) {
  const seen: ConsumedEvent<Listing>[] = [];
  const consumer = await startConsumer<Listing>({
    bus,
    codec: h.codec,
    log: testLogger(),
    group,
    topics: [topic],
    retry: RETRY,
    maxBatchSize: 50,
    heartbeatMs: 500,
    handler: async (events, ctx) => {
      if (handler) await handler(events, ctx);
      seen.push(...events);
    },
  });
  return { seen, consumer };
}

async function readAll(h: BusHarness, topic: string, expected: number): Promise<BusMessage[]> {
  const messages: BusMessage[] = [];
  const subscription = await h.bus.subscribe({
    group: h.group(),
    topics: [topic],
    fromBeginning: true,
    onBatch: async (batch) => {
      messages.push(...batch.messages);
      return batch.messages.at(-1)?.offset ?? null;
    },
  });
  try {
    await waitFor(`${expected} messages on ${topic}`, () => messages.length >= expected);
    await sleep(300);
  } finally {
    await subscription.stop();
  }
  return messages;
}

function assertPerKeyOrder(seen: ConsumedEvent<Listing>[], keys: number, perKey: number, prefix = 'k') {
  const byKey = new Map<string, number[]>();
  for (const event of seen)
    byKey.set(event.key ?? '', [
      ...(byKey.get(event.key ?? '') ?? []),
      Number(event.value.title.split(':')[1]),
    ]);
  for (let k = 0; k < keys; k++) {
    const seqs = byKey.get(`${prefix}${k}`) ?? [];
    assert.deepEqual(
      seqs,
      Array.from({ length: perKey }, (_, i) => i),
      `order or loss on key ${prefix}${k}`,
    );
  }
}

/** The behaviour every bus adapter must show; run by each adapter's test file. */
export function busContract(name: string, createHarness: () => Promise<BusHarness>) {
  describe(`bus contract: ${name}`, () => {
    let h: BusHarness;
    before(async () => {
      h = await createHarness();
    });
    after(async () => {
      await h?.close();
    });

    test('keeps per-key order and loses nothing', async () => {
      const topic = await h.topic('listings.created', 4);
      await publishListings(h, topic, 20, 15);
      const { seen, consumer } = await consume(h, h.bus, topic, h.group());
      await waitFor('300 events', () => seen.length >= 300);
      await consumer.stop();
      assert.equal(seen.length, 300);
      assertPerKeyOrder(seen, 20, 15);
      assert.equal(new Set(seen.map((e) => e.eventId)).size, 300, 'every event carries its own id');
    });

    test('dead-letters poison messages with the reason, and the partition moves on', async () => {
      const topic = await h.topic('listings.created', 1);
      const publisher = createEventPublisher({ bus: h.bus, codec: h.codec });
      await publisher.publish([{ topic, key: 'a', value: listingEvent('a', 0) }]);
      await h.bus.publish([
        { topic, key: 'a', value: Buffer.from('{"not":"avro"}') },
        { topic, key: 'a', value: Buffer.from('c3010000000000000000ff', 'hex') },
      ]);
      await publisher.publish([
        { topic, key: 'a', value: listingEvent('a', 1, 'poison') },
        { topic, key: 'a', value: listingEvent('a', 2) },
      ]);
      const { seen, consumer } = await consume(h, h.bus, topic, h.group(), async (events) => {
        if (events.some((e) => e.value.title === 'poison')) {
          throw new GrokcatError('EVENT_INVALID', 'the title "poison" is not allowed');
        }
      });
      await waitFor('the two good events', () => seen.length >= 2);
      await consumer.stop();
      assert.deepEqual(
        seen.map((e) => e.value.title),
        ['a:0', 'a:2'],
      );
      const dead = await readAll(h, deadLetterTopic(topic), 3);
      assert.equal(dead.length, 3);
      const byCode = dead.map((m) => m.headers[DLQ_HEADERS.code]).sort();
      assert.deepEqual(byCode, ['EVENT_INVALID', 'EVENT_SCHEMA_UNKNOWN', 'EVENT_UNDECODABLE']);
      for (const message of dead) {
        assert.equal(message.headers[DLQ_HEADERS.topic], topic);
        assert.equal(message.headers[DLQ_HEADERS.partition], '0');
        assert.match(message.headers[DLQ_HEADERS.offset] ?? '', /^[1-3]$/);
        assert.ok((message.headers[DLQ_HEADERS.reason] ?? '').length > 10);
        assert.ok(!Number.isNaN(Date.parse(message.headers[DLQ_HEADERS.timestamp] ?? '')));
      }
      assert.match(
        dead.find((m) => m.headers[DLQ_HEADERS.code] === 'EVENT_INVALID')?.headers[DLQ_HEADERS.reason] ?? '',
        /poison/,
      );
    });

    test('retries retriable failures with backoff and dead-letters nothing', async () => {
      const topic = await h.topic('listings.created', 2);
      await publishListings(h, topic, 4, 5);
      let failures = 0;
      const { seen, consumer } = await consume(h, h.bus, topic, h.group(), async () => {
        if (failures < 3) {
          failures += 1;
          throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
        }
      });
      await waitFor('20 events', () => seen.length >= 20);
      await consumer.stop();
      assert.equal(failures, 3);
      assertPerKeyOrder(seen, 4, 5);
      const bounds = await h.bus.partitionBounds(deadLetterTopic(topic)).catch(() => []);
      assert.equal(
        bounds.reduce((sum, b) => sum + Number(BigInt(b.high) - BigInt(b.low)), 0),
        0,
        'no dead letters',
      );
    });

    test('pause stops deliveries until resume (backpressure)', async () => {
      const topic = await h.topic('listings.created', 2);
      await publishListings(h, topic, 5, 2);
      const { seen, consumer } = await consume(h, h.bus, topic, h.group());
      await waitFor('10 events', () => seen.length >= 10);
      consumer.pause();
      await sleep(1000); // a fetch already in flight may still land
      const atPause = seen.length;
      await publishListings(h, topic, 5, 2, 'paused');
      await sleep(1500);
      assert.equal(seen.length, atPause, 'nothing delivered while paused');
      consumer.resume();
      await waitFor('20 events', () => seen.length >= 20);
      await consumer.stop();
    });

    test('a batch that outlasts the session timeout keeps its partition (heartbeats while it works)', async () => {
      const topic = await h.topic('listings.created', 1);
      await publishListings(h, topic, 3, 2);
      let slow = true;
      let beats = 0;
      const counting: Bus = {
        ...h.bus,
        subscribe: (options) =>
          h.bus.subscribe({
            ...options,
            onBatch: (batch, controls) =>
              options.onBatch(batch, {
                ...controls,
                heartbeat: async () => {
                  beats += 1;
                  await controls.heartbeat();
                },
              }),
          }),
      };
      const { seen, consumer } = await consume(h, counting, topic, h.group(), async () => {
        if (slow) {
          slow = false;
          await sleep(FAST_CONSUMER.sessionTimeoutMs * 1.5);
        }
      });
      await waitFor('6 events', () => seen.length >= 6, 60_000);
      await publishListings(h, topic, 3, 1, 'after');
      await waitFor('9 events', () => seen.length >= 9, 30_000);
      await sleep(1000);
      await consumer.stop();
      assert.equal(seen.length, 9, 'no batch was delivered twice');
      assert.ok(
        beats >= 10,
        `the slow batch heartbeated (${beats} beats in ${FAST_CONSUMER.sessionTimeoutMs * 1.5} ms)`,
      );
    });

    test('two consumers in a group split the partitions and survive a rebalance', async () => {
      const topic = await h.topic('listings.created', 6);
      const group = h.group();
      const first = await consume(h, h.bus, topic, group);
      const second = await consume(h, h.newBus(), topic, group);
      const assigned = () =>
        [first, second].map((c) =>
          c.consumer
            .subscription()
            .assignment()
            .map((a) => a.partition),
        );
      await waitFor('both members to hold partitions', () => {
        const [a = [], b = []] = assigned();
        return a.length > 0 && b.length > 0 && a.length + b.length === 6;
      });
      const [a = [], b = []] = assigned();
      assert.deepEqual([...a, ...b].sort(), [0, 1, 2, 3, 4, 5], 'together they cover every partition once');
      await publishListings(h, topic, 12, 5);
      await waitFor('60 events', () => first.seen.length + second.seen.length >= 60);
      assert.ok(first.seen.length > 0 && second.seen.length > 0, 'both members did work');

      await first.consumer.stop();
      await waitFor(
        'the survivor to take every partition',
        () => second.consumer.subscription().assignment().length === 6,
      );
      await publishListings(h, topic, 12, 5, 'later');
      await waitFor(
        '60 more events',
        () => second.seen.filter((e) => e.key?.startsWith('later')).length >= 60,
      );
      await second.consumer.stop();
      const all = [...first.seen, ...second.seen];
      assertPerKeyOrder(
        all.filter((e) => e.key?.startsWith('later')),
        12,
        5,
        'later',
      );
      assert.equal(new Set(all.map((e) => e.eventId)).size, 120, 'nothing lost');
    });

    test('a consumer SIGKILLed mid-batch and restarted loses nothing', async () => {
      const topic = await h.topic('listings.created', 4);
      const group = h.group();
      const { home: dir, cleanup } = tempHome('grokcat-sink-');
      const sink = path.join(dir, 'sink.txt');
      try {
        await publishListings(h, topic, 10, 20);
        const env = h.childEnv({ TEST_TOPIC: topic, TEST_GROUP: group, TEST_SINK: sink, TEST_DELAY_MS: '5' });
        const run = async () => {
          const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
            env,
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          await new Promise<void>((resolve, reject) => {
            child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
            child.once('exit', (code) => reject(new Error(`consumer child exited with ${code}`)));
          });
          return child;
        };
        const lines = () =>
          existsSync(sink) ? readFileSync(sink, 'utf8').trim().split('\n').filter(Boolean) : [];
        const victim = await run();
        await waitFor('the child to be mid-way', () => lines().length >= 40);
        victim.kill('SIGKILL');
        await once(victim, 'exit');
        const atKill = lines().length;
        assert.ok(atKill < 200, `the kill came mid-way (${atKill} of 200 handled)`);

        const survivor = await run();
        await waitFor(
          'all 200 events',
          () => new Set(lines().map((l) => l.split(' ')[0])).size >= 200,
          90_000,
        );
        survivor.kill('SIGTERM');
        await once(survivor, 'exit');
        const ids = lines().map((l) => l.split(' ')[0]);
        assert.equal(new Set(ids).size, 200, 'no event lost');
        // At-least-once: the batch in flight at the kill is delivered again; the sink sees it twice.
        assert.ok(ids.length >= 200);
      } finally {
        cleanup();
      }
    });

    test('replay from a timestamp re-delivers exactly that range', async () => {
      const topic = await h.topic('listings.created', 3);
      await publishListings(h, topic, 6, 2, 'before');
      await sleep(50);
      const from = Date.now();
      await sleep(50);
      await publishListings(h, topic, 6, 3, 'inside');
      await sleep(50);
      const to = Date.now();
      await sleep(50);
      await publishListings(h, topic, 6, 2, 'after');

      const runReplay = async () => {
        const events: ConsumedEvent<Listing>[] = [];
        const progress: number[] = [];
        const summary = await replay<Listing>({
          bus: h.bus,
          codec: h.codec,
          log: testLogger(),
          topic,
          from: { time: from },
          to: { time: to },
          retry: RETRY,
          handler: async (batch) => {
            events.push(...batch);
          },
          onProgress: ({ done, total }) => progress.push(done / Math.max(total, 1)),
        });
        return { events, progress, summary };
      };
      const first = await runReplay();
      assert.equal(first.events.length, 18);
      assert.ok(
        first.events.every((e) => e.key?.startsWith('inside')),
        'only events inside the range',
      );
      assertPerKeyOrder(first.events, 6, 3, 'inside');
      assert.equal(first.summary.events, 18);
      assert.equal(first.summary.resumed, false);
      assert.equal(first.progress.at(-1), 1);

      // The same replay again resumes from its committed progress: nothing is left to do.
      const second = await runReplay();
      assert.equal(second.summary.resumed, true);
      assert.equal(second.events.length, 0);
    });
  });
}
