import koffi from 'koffi';
import { GrokcatError } from '../errors/error-catalogue.ts';

/**
 * librdkafka's mock Kafka cluster (Debian package librdkafka1), driven through koffi: the real
 * Kafka protocol over TCP with consumer groups, offsets and fault injection, for tests and for
 * `grokcat kafka-mock`. Run it in a process of its own, so a test can kill a consumer without
 * killing "the broker" and the other way round.
 */
export interface MockCluster {
  readonly bootstrapServers: string;
  readonly brokers: number;
  createTopic(topic: string, partitions: number): void;
  brokerDown(brokerId: number): void;
  brokerUp(brokerId: number): void;
  setRtt(brokerId: number, rttMs: number): void;
  setLeader(topic: string, partition: number, brokerId: number): void;
  /** The next `errors.length` requests of `apiKey` (0 Produce, 1 Fetch, 8 OffsetCommit...) fail with these Kafka error codes. */
  pushRequestErrors(apiKey: number, errors: number[]): void;
  /** The same, for requests to one broker only (say, the leader of one topic's partitions). */
  pushBrokerRequestErrors(brokerId: number, apiKey: number, errors: number[]): void;
  destroy(): void;
}

const RD_KAFKA_PRODUCER = 0;

export function startMockCluster(brokers: number): MockCluster {
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load('librdkafka.so.1');
  } catch (error) {
    throw new GrokcatError(
      'BUS_UNAVAILABLE',
      'librdkafka is not installed: the Kafka mock cluster needs the Debian package librdkafka1 (apt-get install librdkafka1)',
      { cause: error },
    );
  }
  const confNew = lib.func('void *rd_kafka_conf_new()');
  const confSet = lib.func(
    'int rd_kafka_conf_set(void *conf, const char *name, const char *value, char *errstr, size_t size)',
  );
  const kafkaNew = lib.func('void *rd_kafka_new(int type, void *conf, char *errstr, size_t size)');
  const kafkaDestroy = lib.func('void rd_kafka_destroy(void *rk)');
  const clusterNew = lib.func('void *rd_kafka_mock_cluster_new(void *rk, int brokers)');
  const clusterDestroy = lib.func('void rd_kafka_mock_cluster_destroy(void *mc)');
  const bootstraps = lib.func('const char *rd_kafka_mock_cluster_bootstraps(void *mc)');
  const topicCreate = lib.func(
    'int rd_kafka_mock_topic_create(void *mc, const char *topic, int partitions, int rf)',
  );
  const brokerSetDown = lib.func('int rd_kafka_mock_broker_set_down(void *mc, int32_t broker)');
  const brokerSetUp = lib.func('int rd_kafka_mock_broker_set_up(void *mc, int32_t broker)');
  const brokerSetRtt = lib.func('int rd_kafka_mock_broker_set_rtt(void *mc, int32_t broker, int rtt)');
  const partitionSetLeader = lib.func(
    'int rd_kafka_mock_partition_set_leader(void *mc, const char *topic, int32_t partition, int32_t broker)',
  );
  const pushErrors = lib.func(
    'void rd_kafka_mock_push_request_errors_array(void *mc, int16_t api, size_t cnt, int32_t *errors)',
  );

  // Variadic: (error code, round-trip ms) pairs.
  const pushBrokerErrors = lib.func(
    'int rd_kafka_mock_broker_push_request_error_rtts(void *mc, int32_t broker, int16_t api, size_t cnt, ...)',
  );

  const errstr = Buffer.alloc(512);
  const conf = confNew();
  // The handle only hosts the cluster: keep it quiet.
  confSet(conf, 'log_level', '0', errstr, errstr.length);
  const rk = kafkaNew(RD_KAFKA_PRODUCER, conf, errstr, errstr.length);
  if (!rk)
    throw new GrokcatError(
      'BUS_UNAVAILABLE',
      `rd_kafka_new failed: ${errstr.toString('utf8').replace(/\0.*$/s, '')}`,
    );
  const mc = clusterNew(rk, brokers);
  if (!mc) throw new GrokcatError('BUS_UNAVAILABLE', 'rd_kafka_mock_cluster_new failed');

  const check = (what: string, code: number) => {
    if (code !== 0) throw new GrokcatError('BUS_UNAVAILABLE', `${what} failed with librdkafka error ${code}`);
  };
  let destroyed = false;
  return {
    bootstrapServers: bootstraps(mc) as string,
    brokers,
    createTopic: (topic, partitions) => check(`creating ${topic}`, topicCreate(mc, topic, partitions, 1)),
    brokerDown: (id) => check(`taking broker ${id} down`, brokerSetDown(mc, id)),
    brokerUp: (id) => check(`bringing broker ${id} up`, brokerSetUp(mc, id)),
    setRtt: (id, rtt) => check(`setting broker ${id} RTT`, brokerSetRtt(mc, id, rtt)),
    setLeader: (topic, partition, id) =>
      check('setting a leader', partitionSetLeader(mc, topic, partition, id)),
    pushRequestErrors: (apiKey, errors) => pushErrors(mc, apiKey, errors.length, Int32Array.from(errors)),
    pushBrokerRequestErrors: (brokerId, apiKey, errors) =>
      check(
        `pushing errors to broker ${brokerId}`,
        pushBrokerErrors(mc, brokerId, apiKey, errors.length, ...errors.flatMap((e) => ['int', e, 'int', 0])),
      ),
    destroy() {
      if (destroyed) return;
      destroyed = true;
      clusterDestroy(mc);
      kafkaDestroy(rk);
    },
  };
}
