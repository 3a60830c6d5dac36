import type { Knex } from 'knex';
import type { Logger } from '../../log/logger.ts';
import type { Bus, OutgoingMessage, Subscription } from '../bus.ts';
import { partitionForKey } from '../murmur2-partitioner.ts';
import { type AppendRecord, createEmbeddedLogRepository } from './embedded-log.repository.ts';
import { type EmbeddedConsumerSettings, startEmbeddedSubscription } from './embedded-subscription.ts';
import { createWakeups } from './wakeups.ts';

export interface EmbeddedBusOptions {
  knex: Knex;
  log: Logger;
  /** Folder for cross-process wake-up files (GROKCAT_HOME/run/bus); null: in-process wake-ups only. */
  wakeupDir: string | null;
  /** Partitions of a topic created on first use. */
  defaultPartitions: number;
  /** Records older than this are deleted; null keeps everything. */
  retentionMs: number | null;
  consumer: EmbeddedConsumerSettings;
  /** How often records past retention are deleted. */
  retentionSweepMs?: number;
}

/**
 * The bus without Kafka: a durable partitioned log in grokcat's Postgres (PGlite by default).
 * Same contract as Kafka: per-partition offsets, keys hashed with Kafka's partitioner, consumer
 * groups with committed offsets, at-least-once delivery.
 */
export function createEmbeddedBus(options: EmbeddedBusOptions): Bus {
  const { knex, log, defaultPartitions, retentionMs } = options;
  const repo = createEmbeddedLogRepository(knex);
  const wakeups = createWakeups(options.wakeupDir);
  const partitionCounts = new Map<string, number>();
  const subscriptions = new Set<Subscription>();
  const roundRobin = new Map<string, number>();

  const partitionsOf = async (topic: string): Promise<number> => {
    const known = partitionCounts.get(topic);
    if (known !== undefined) return known;
    let count = await repo.topicPartitions(topic);
    if (count === null) {
      await repo.createTopic(topic, defaultPartitions, retentionMs);
      count = (await repo.topicPartitions(topic)) ?? defaultPartitions;
      log.info({ topic, partitions: count }, 'created topic on first use');
    }
    partitionCounts.set(topic, count);
    return count;
  };

  const sweep = setInterval(() => {
    repo.enforceRetention().then(
      (deleted) => deleted > 0 && log.info({ deleted }, 'deleted records past retention'),
      (error: unknown) => log.warn({ err: error }, 'retention sweep failed'),
    );
  }, options.retentionSweepMs ?? 60_000);
  sweep.unref();

  return {
    kind: 'embedded',

    async createTopics(specs) {
      for (const spec of specs) {
        await repo.createTopic(
          spec.topic,
          spec.partitions,
          spec.retentionMs === undefined ? retentionMs : spec.retentionMs,
        );
        partitionCounts.delete(spec.topic);
      }
    },

    listTopics: () => repo.listTopics(),

    async publish(messages: OutgoingMessage[]) {
      if (messages.length === 0) return;
      const byPartition = new Map<string, { topic: string; partition: number; records: AppendRecord[] }>();
      for (const message of messages) {
        const count = await partitionsOf(message.topic);
        let partition: number;
        if (message.key === null) {
          partition = (roundRobin.get(message.topic) ?? 0) % count;
          roundRobin.set(message.topic, partition + 1);
        } else {
          partition = partitionForKey(message.key, count);
        }
        const slot = `${message.topic}\u0000${partition}`;
        const entry = byPartition.get(slot) ?? { topic: message.topic, partition, records: [] };
        entry.records.push({
          key: message.key,
          value: message.value,
          headers: message.headers ?? {},
          timestamp: message.timestamp ?? Date.now(),
        });
        byPartition.set(slot, entry);
      }
      // One transaction: a publish is all or nothing, and partitions are locked in a fixed order.
      const entries = [...byPartition.values()].sort((a, b) =>
        a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
      );
      await knex.transaction(async (trx) => {
        for (const { topic, partition, records } of entries)
          await repo.append(trx, topic, partition, records);
      });
      wakeups.notify(entries);
    },

    async subscribe(subscribeOptions) {
      for (const topic of subscribeOptions.topics) await partitionsOf(topic);
      const subscription = await startEmbeddedSubscription({
        repo,
        wakeups,
        log,
        options: subscribeOptions,
        settings: options.consumer,
        partitionsOf,
      });
      subscriptions.add(subscription);
      return {
        ...subscription,
        async stop() {
          subscriptions.delete(subscription);
          await subscription.stop();
        },
      };
    },

    async offsetsForTimestamp(topic, timestamp) {
      await partitionsOf(topic);
      return repo.offsetsForTimestamp(topic, timestamp);
    },

    async partitionBounds(topic) {
      await partitionsOf(topic);
      return repo.bounds(topic);
    },

    async readRange(topic, ranges, onMessages) {
      for (const range of ranges) {
        let from = BigInt(range.from);
        const to = BigInt(range.to);
        while (from < to) {
          const page = (await repo.fetch(topic, range.partition, String(from), 500)).filter(
            (m) => BigInt(m.offset) < to,
          );
          if (page.length === 0) break; // the rest was swept by retention meanwhile
          onMessages(page);
          from = BigInt(page.at(-1)?.offset ?? to) + 1n;
        }
      }
    },

    groupOffsets: (group, topic) => repo.groupOffsets(group, topic),

    async close() {
      clearInterval(sweep);
      await Promise.all([...subscriptions].map((s) => s.stop()));
      subscriptions.clear();
    },
  };
}
