import { busContract } from '../support/bus-contract.ts';
import { createKafkaHarness } from '../support/bus-harness.ts';

busContract('Kafka (librdkafka mock cluster)', createKafkaHarness);
