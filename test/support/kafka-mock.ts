// The mock cluster's child process is the product's own (`grokcat bench faults` drives it too).
export {
  type KafkaMock,
  startMockClusterProcess as startKafkaMock,
} from '../../shared/kafka-mock/mock-cluster-process.ts';
