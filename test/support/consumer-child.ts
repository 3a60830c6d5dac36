// A consumer in its own process, for tests that SIGKILL it mid-batch. It appends one line per
// handled event to TEST_SINK (`<eventId> <key> <seq>`); the page cache keeps what a killed
// process wrote. Configured by grokcat's own variables plus TEST_TOPIC, TEST_GROUP,
// TEST_SINK and TEST_DELAY_MS.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startConsumer } from '../../shared/bus/consumer-runtime.ts';
import { openBus, openCodec } from '../../shared/bus/open-bus.ts';
import { loadConfig } from '../../shared/config/load-config.ts';
import { openDatabase } from '../../shared/db/open-database.ts';
import { createLogger } from '../../shared/log/logger.ts';

const { TEST_TOPIC = '', TEST_GROUP = '', TEST_SINK = '', TEST_DELAY_MS = '0' } = process.env;
const config = loadConfig();
const log = createLogger(config, { service: 'consumer-child' });
const database = await openDatabase(config, { log, migrate: false });
const bus = openBus(config, { database, log });
const consumer = await startConsumer<{ title: string }>({
  bus,
  codec: openCodec(config),
  log,
  group: TEST_GROUP,
  topics: [TEST_TOPIC],
  retry: config.consumer.retry,
  maxBatchSize: 20,
  heartbeatMs: config.consumer.heartbeatMs,
  handler: async (events) => {
    for (const event of events) {
      await sleep(Number(TEST_DELAY_MS));
      appendFileSync(TEST_SINK, `${event.eventId} ${event.key} ${event.value.title}\n`);
    }
  },
});
process.stdout.write('ready\n');
process.once('SIGTERM', async () => {
  await consumer.stop();
  await bus.close();
  await database.close();
  process.exit(0);
});
