import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Admin,
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import { GrokcatError } from '../../errors/error-catalogue.ts';
import type { Logger } from '../../log/logger.ts';
import type { Bus, OutgoingMessage, Subscription } from '../bus.ts';
import { isCreateTopicsUnsupported, publishError } from './kafka-errors.ts';
import { readKafkaRange } from './kafka-range-reader.ts';
import { type KafkaConsumerSettings, subscribeKafka } from './kafka-subscription.ts';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  ssl: boolean;
  sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | null;
  log: Logger;
  consumer: KafkaConsumerSettings;
  /**
   * Whether the brokers answer ListOffsets by timestamp. librdkafka's mock answers every timestamp
   * with the end offset; without lookup, time positions scan from the earliest offset instead.
   */
  timestampLookup: boolean;
  /**
   * Partitions processed at once per consumer; 0 or unset: all it can be assigned (its topics times
   * `defaultPartitions`). kafkajs's default of 1 (ours was 4) let the slowest batch of a fetch hold
   * every partition (issue 21).
   */
  partitionsConsumedConcurrently?: number;
  /** Partitions of grokcat's topics (GROKCAT_BUS_PARTITIONS), for the concurrency above. */
  defaultPartitions?: number;
  /** Replicas of the topics createTopics makes; null: the brokers' default.replication.factor. */
  replicationFactor?: number | null;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'debug', // kafkajs is chatty at info: joins, leaves, reconnects
  [logLevel.DEBUG]: 'debug',
};

/** The production bus: Kafka through kafkajs. Every kafkajs detail stays in this folder. */
export function createKafkaBus(options: KafkaBusOptions): Bus {
  const { log } = options;
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    ssl: options.ssl,
    ...(options.sasl ? { sasl: options.sasl as SASLOptions } : {}),
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 5000 },
    logLevel: logLevel.INFO,
    logCreator: () => (entry) => {
      const { message, ...fields } = entry.log;
      log[LEVELS[entry.level] ?? 'debug']({ kafkajs: entry.namespace, ...fields }, message);
    },
  };
  const kafka = new Kafka(config);
  // Not idempotent: InitProducerId needs a controller, which some brokers (and librdkafka's mock)
  // do not offer. One request in flight keeps per-partition order across retries; consumers
  // de-duplicate by event id.
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: true,
    maxInFlightRequests: 1,
    idempotent: false,
    // murmur2 like the Java client and like the embedded bus (murmur2-partitioner.ts)
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const admin: Admin = kafka.admin();
  let producerReady: Promise<void> | null = null;
  let adminReady: Promise<void> | null = null;
  const subscriptions = new Set<Subscription>();

  // One admin request at a time: kafkajs's admin is not safe for concurrent calls (concurrent
  // fetchTopicOffsets of many topics fail inside kafkajs with "Cannot destructure property
  // 'partitions' of 'high.pop(...)'" and leave its connection half closed).
  let adminQueue: Promise<unknown> = Promise.resolve();
  const withAdmin = <T>(call: (a: Admin) => Promise<T>): Promise<T> => {
    const run = async () => {
      adminReady ??= admin.connect().catch((error: unknown) => {
        adminReady = null;
        throw error;
      });
      await adminReady;
      return call(admin);
    };
    const result = adminQueue.then(run, run);
    adminQueue = result.catch(() => {});
    return result;
  };

  return {
    kind: 'kafka',

    async createTopics(specs) {
      await withAdmin(async (a) => {
        const existing = new Set(await a.listTopics());
        const missing = specs.filter((s) => !existing.has(s.topic));
        if (missing.length === 0) return;
        await a
          .createTopics({
            waitForLeaders: true,
            topics: missing.map((s) => ({
              topic: s.topic,
              numPartitions: s.partitions,
              replicationFactor: options.replicationFactor ?? -1,
              configEntries:
                s.retentionMs === undefined
                  ? []
                  : [{ name: 'retention.ms', value: String(s.retentionMs ?? -1) }],
            })),
          })
          .catch((error: unknown) => {
            if (!isCreateTopicsUnsupported(error)) throw error;
            const list = missing.map((s) => `${s.topic}:${s.partitions}`).join(',');
            throw new GrokcatError(
              'BUS_UNSUPPORTED',
              `the brokers at ${options.brokers.join(',')} cannot create topics (${(error as Error).message}): ` +
                "librdkafka's mock cluster has no CreateTopics. Start the mock with the topics instead: " +
                `grokcat kafka-mock --grokcat-topics, or grokcat kafka-mock --topics ${list}`,
              { cause: error },
            );
          });
      });
    },

    async listTopics() {
      const { topics } = await withAdmin((a) => a.fetchTopicMetadata());
      return topics
        .filter((t) => !t.name.startsWith('__'))
        .map((t) => ({ topic: t.name, partitions: t.partitions.length }))
        .sort((x, y) => x.topic.localeCompare(y.topic));
    },

    async publish(messages: OutgoingMessage[]) {
      if (messages.length === 0) return;
      producerReady ??= producer.connect().catch((error: unknown) => {
        producerReady = null;
        throw error;
      });
      try {
        await producerReady;
        const byTopic = new Map<string, OutgoingMessage[]>();
        for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, list]) => ({
            topic,
            messages: list.map((m) => ({
              key: m.key,
              value: m.value,
              headers: m.headers ?? {},
              timestamp: String(m.timestamp ?? Date.now()),
            })),
          })),
        });
      } catch (error) {
        throw publishError(error);
      }
    },

    async subscribe(subscribeOptions) {
      const subscription = await subscribeKafka({
        kafka,
        log,
        consumerSettings: options.consumer,
        partitionsConsumedConcurrently:
          options.partitionsConsumedConcurrently ||
          subscribeOptions.topics.length * (options.defaultPartitions ?? 8),
        committedOffsets: (group, topics) => withAdmin((a) => a.fetchOffsets({ groupId: group, topics })),
        options: subscribeOptions,
        onStop: () => subscriptions.delete(subscription),
      });
      subscriptions.add(subscription);
      return subscription;
    },

    async offsetsForTimestamp(topic, timestamp) {
      if (!options.timestampLookup) return null;
      const [found, bounds] = await withAdmin(async (a) => [
        await a.fetchTopicOffsetsByTimestamp(topic, timestamp),
        await a.fetchTopicOffsets(topic),
      ]);
      return found.map(({ partition, offset }) => ({
        partition,
        offset: offset === '-1' ? (bounds.find((b) => b.partition === partition)?.high ?? '0') : offset,
      }));
    },

    async partitionBounds(topic) {
      const bounds = await withAdmin((a) => a.fetchTopicOffsets(topic));
      return bounds
        .map(({ partition, low, high }) => ({ partition, low, high }))
        .sort((x, y) => x.partition - y.partition);
    },

    readRange: (topic, ranges, onMessages) => readKafkaRange(kafka, topic, ranges, onMessages),

    async groupOffsets(group, topic) {
      const [entry] = await withAdmin((a) => a.fetchOffsets({ groupId: group, topics: [topic] }));
      return (entry?.partitions ?? [])
        .filter((p) => p.offset !== '-1')
        .map(({ partition, offset }) => ({ partition, offset }));
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      if (producerReady) await producer.disconnect().catch(() => {});
      if (adminReady) await admin.disconnect().catch(() => {});
      await sleep(0);
    },
  };
}
