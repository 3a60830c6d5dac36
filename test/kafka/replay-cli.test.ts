import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { listingEvent } from '../support/bus-contract.ts';
import { type BusHarness, createKafkaHarness } from '../support/bus-harness.ts';
import { runCli } from '../support/cli-process.ts';
import { tempHome } from '../support/temp-home.ts';

let h: BusHarness;
const { home, cleanup } = tempHome();
before(async () => {
  h = await createKafkaHarness();
});
after(async () => {
  await h?.close();
  cleanup();
});

test('grokcat replay works on Kafka: a time range, then a resumed rerun', async () => {
  const topic = await h.topic('listings.created', 3);
  const publisher = createEventPublisher({ bus: h.bus, codec: h.codec });
  await publisher.publish(
    Array.from({ length: 12 }, (_, i) => ({ topic, key: `k${i}`, value: listingEvent(`k${i}`, 0) })),
  );
  const from = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await publisher.publish(
    Array.from({ length: 9 }, (_, i) => ({ topic, key: `k${i}`, value: listingEvent(`k${i}`, 1) })),
  );

  const env = h.childEnv({ GROKCAT_HOME: home });
  const args = ['replay', '--topic', topic, '--from', from, '--count', '--json'];
  const first = await runCli(args, env);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(
    {
      events: (first.json as { events: number }).events,
      resumed: (first.json as { resumed: boolean }).resumed,
    },
    { events: 9, resumed: false },
  );
  const again = await runCli(args, env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.json as { resumed: boolean }).resumed, true);
  assert.equal((again.json as { events: number }).events, 0);
});
