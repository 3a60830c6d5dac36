import { after, before, test } from 'node:test';
import { type System, startSystem } from '../../services/system/system.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import { deadLetterTopic, TOPICS } from '../../shared/events/topics.ts';
import { kafkaTestVariables } from '../support/bus-harness.ts';
import { runCoreScenario } from '../support/catalog-scenario.ts';
import { type KafkaMock, startKafkaMock } from '../support/kafka-mock.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

let mock: KafkaMock;
let system: System | undefined;
const { home, cleanup } = tempHome();

before(async () => {
  mock = await startKafkaMock(3);
  // The mock has no CreateTopics: every topic the services use, and its dead-letter topic, up front.
  for (const topic of Object.values(TOPICS)) {
    await mock.createTopic(topic, 3);
    await mock.createTopic(deadLetterTopic(topic), 1);
  }
});
after(async () => {
  await system?.stop();
  await mock?.stop();
  cleanup();
});

test('the catalog pipeline on Kafka: enricher and cataloger over the mock cluster, the database embedded', async () => {
  const config = testConfig({
    GROKCAT_HOME: home,
    ...kafkaTestVariables(mock.bootstrap),
  });
  system = await startSystem({ config, log: testLogger() });
  await runCoreScenario({
    bus: system.bus,
    codec: openCodec(config),
    database: system.database,
    imageRoot: config.image.fileRoot,
    group: 'test-kafka-core',
  });
});
