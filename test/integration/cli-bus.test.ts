import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Bus, BusMessage } from '../../shared/bus/bus.ts';
import { createEmbeddedBus } from '../../shared/bus/embedded/embedded-bus.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import { createSingleObjectCodec } from '../../shared/events/event-codec.ts';
import { loadSchemaCatalogue } from '../../shared/events/schema-catalogue.ts';
import { listingEvent, waitFor } from '../support/bus-contract.ts';
import { runCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome, testConfig, testLogger } from '../support/temp-home.ts';

describe('grokcat replay and bench on the embedded bus', () => {
  const { home, cleanup } = tempHome();
  const env = cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' });
  let database: Database;
  let bus: Bus;
  before(async () => {
    database = await openDatabase(testConfig({ GROKCAT_HOME: home }), { log: testLogger() });
    bus = createEmbeddedBus({
      knex: database.knex,
      log: testLogger(),
      wakeupDir: path.join(home, 'run', 'bus'),
      defaultPartitions: 4,
      retentionMs: null,
      consumer: { heartbeatMs: 300, sessionTimeoutMs: 3000, pollMs: 300, retryBackoffMs: 200 },
    });
  });
  after(async () => {
    await bus?.close();
    await database?.close();
    cleanup();
  });

  test('replays a dead-letter topic back into its source with --republish, and resumes', async () => {
    const codec = createSingleObjectCodec(loadSchemaCatalogue());
    const publisher = createEventPublisher({ bus, codec });
    await publisher.publish(
      Array.from({ length: 25 }, (_, i) => ({
        topic: 'listings.created.dlq',
        key: `k${i % 5}`,
        value: listingEvent(`k${i % 5}`, i),
      })),
    );
    const args = [
      'replay',
      '--topic',
      'listings.created.dlq',
      '--from',
      'earliest',
      '--republish',
      'listings.created',
      '--json',
    ];
    const first = await runCli(args, env);
    assert.equal(first.code, 0, first.stderr);
    const summary = first.json as {
      ok: boolean;
      events: number;
      resumed: boolean;
      group: string;
      action: string;
    };
    assert.equal(summary.ok, true);
    assert.equal(summary.events, 25);
    assert.equal(summary.resumed, false);
    assert.equal(summary.action, 'republish to listings.created');

    const landed: BusMessage[] = [];
    const subscription = await bus.subscribe({
      group: 'reader',
      topics: ['listings.created'],
      fromBeginning: true,
      onBatch: async (batch) => {
        landed.push(...batch.messages);
        return batch.messages.at(-1)?.offset ?? null;
      },
    });
    await waitFor('25 republished events', () => landed.length >= 25);
    await subscription.stop();
    assert.equal(landed.length, 25);

    const again = await runCli(args, env);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      {
        events: (again.json as { events: number }).events,
        resumed: (again.json as { resumed: boolean }).resumed,
      },
      { events: 0, resumed: true },
      'the same replay resumes from its committed progress',
    );
  });

  test('replay without an action explains what to do; bad positions are refused', async () => {
    // listings.cataloged is announced for others to consume: no grokcat service handles it.
    const none = await runCli(
      ['replay', '--topic', 'listings.cataloged', '--from', 'earliest', '--json'],
      env,
    );
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      /USAGE_INVALID: no service handles listings.cataloged: use --republish <topic> or --count/,
    );
    const bad = await runCli(
      ['replay', '--topic', 'listings.created', '--from', 'yesterday-ish', '--count'],
      env,
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"yesterday-ish" is not earliest, latest, an offset or an ISO 8601 time/);
  });

  test('bench bus prints events/s and latency with the machine it ran on', async () => {
    const result = await runCli(['bench', 'bus', '--bus', 'embedded', '--events', '300', '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    const json = result.json as {
      machine: { cores: number };
      results: {
        bus: string;
        events: number;
        event_bytes: number;
        publish_per_s: number;
        end_to_end_per_s: number;
        latency_ms: { p50: number };
      }[];
    };
    assert.ok(json.machine.cores >= 1);
    const [embedded] = json.results;
    assert.ok(embedded);
    assert.equal(embedded.events, 300);
    assert.ok(
      Math.abs(embedded.event_bytes - 1024) <= 2,
      `about 1 KB per event, got ${embedded.event_bytes}`,
    );
    assert.ok(embedded.publish_per_s > 0 && embedded.end_to_end_per_s > 0);
    assert.ok(embedded.latency_ms.p50 >= 0);
  });
});
