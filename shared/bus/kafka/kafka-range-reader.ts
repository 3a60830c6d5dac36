import type { Kafka } from 'kafkajs';
import { GrokcatError } from '../../errors/error-catalogue.ts';
import type { BusMessage, PartitionRange } from '../bus.ts';

// kafkajs has no group-less consumer (no assign()): its consumer always joins a group. A bounded read
// goes straight to the partition leaders with Fetch requests through the client's own cluster, which
// kafkajs builds for each producer, consumer and admin (same brokers, TLS, SASL and retries).
interface KafkaRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers?: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord?: boolean;
}
interface FetchResponse {
  responses: {
    topicName: string;
    partitions: { partition: number; errorCode: number; messages: KafkaRecord[] }[];
  }[];
}
interface Broker {
  fetch(request: unknown): Promise<FetchResponse>;
}
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(node: { nodeId: string }): Promise<Broker>;
}

const FETCH_BYTES = 4 * 1024 * 1024;

function clusterOf(kafka: Kafka): Cluster {
  const create = Object.getOwnPropertySymbols(kafka).find(
    (symbol) => symbol.description === 'private:Kafka:createCluster',
  );
  const factory = create && (kafka as unknown as Record<symbol, unknown>)[create];
  if (typeof factory !== 'function') {
    throw new GrokcatError('INTERNAL', 'this kafkajs version has no cluster factory: pin kafkajs 2.2.x');
  }
  return factory({ allowAutoTopicCreation: false }) as Cluster;
}

const headerText = (value: Buffer | Buffer[] | undefined) =>
  Array.isArray(value) ? (value.at(-1)?.toString() ?? '') : (value?.toString() ?? '');

/**
 * Reads `[from, to)` of each partition once, in offset order per partition, without joining a
 * group or committing anything: the read moves nobody's offsets and needs no coordinator.
 */
export async function readKafkaRange(
  kafka: Kafka,
  topic: string,
  ranges: PartitionRange[],
  onMessages: (messages: BusMessage[]) => void,
): Promise<void> {
  const next = new Map(ranges.filter((r) => BigInt(r.to) > BigInt(r.from)).map((r) => [r.partition, r]));
  if (next.size === 0) return;
  const cluster = clusterOf(kafka);
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    while (next.size > 0) {
      const byLeader = cluster.findLeaderForPartitions(topic, [...next.keys()]);
      await Promise.all(
        Object.entries(byLeader).map(async ([nodeId, partitions]) => {
          const broker = await cluster.findBroker({ nodeId });
          const response = await broker.fetch({
            replicaId: -1,
            isolationLevel: 1,
            maxWaitTime: 100,
            minBytes: 1,
            maxBytes: FETCH_BYTES,
            topics: [
              {
                topic,
                partitions: partitions.map((partition) => ({
                  partition,
                  fetchOffset: (next.get(partition) as PartitionRange).from,
                  maxBytes: FETCH_BYTES,
                })),
              },
            ],
          });
          for (const answer of response.responses.flatMap((r) => r.partitions)) {
            const range = next.get(answer.partition);
            if (!range) continue;
            const end = BigInt(range.to);
            const start = BigInt(range.from);
            // A fetch answers whole record batches: drop what lies before `from` or after `to`.
            const records = answer.messages.filter(
              (m) => !m.isControlRecord && BigInt(m.offset) >= start && BigInt(m.offset) < end,
            );
            onMessages(
              records.map((m) => ({
                topic,
                partition: answer.partition,
                offset: m.offset,
                key: m.key?.toString() ?? null,
                value: m.value ?? Buffer.alloc(0),
                headers: Object.fromEntries(
                  Object.entries(m.headers ?? {}).map(([name, value]) => [name, headerText(value)]),
                ),
                timestamp: Number(m.timestamp),
              })),
            );
            const last = answer.messages.at(-1);
            const after = last ? BigInt(last.offset) + 1n : start;
            if (after >= end) next.delete(answer.partition);
            else if (after === start && answer.messages.length === 0) {
              throw new GrokcatError(
                'BUS_UNAVAILABLE',
                `${topic}/${answer.partition}: no records from offset ${range.from} although the partition ends at ${range.to}`,
              );
            } else next.set(answer.partition, { ...range, from: String(after) });
          }
        }),
      );
    }
  } finally {
    await cluster.disconnect().catch(() => {});
  }
}
