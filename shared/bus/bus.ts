/**
 * The one small interface every transport implements: Kafka (kafkajs) in production, an embedded
 * durable log in Postgres for one machine. Services never see which; the consumer runtime builds
 * retries, dead letters and decoding on top of `subscribe`.
 */
export interface OutgoingMessage {
  topic: string;
  /** Partitioning key (a listing id): messages with one key keep their order. */
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
  /** Milliseconds since the epoch; the bus sets it when absent. */
  timestamp?: number;
}

export interface BusMessage {
  topic: string;
  partition: number;
  /** Decimal string: Kafka offsets are 64-bit. */
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: BusMessage[];
  /** Offset of the next message to be written to this partition, for lag. */
  highWatermark: string;
}

export interface BatchControls {
  /** Keeps group membership alive during long work (kafkajs#1083). */
  heartbeat(): Promise<void>;
  /** False once the partition was taken away or the consumer is stopping: commit nothing then. */
  isActive(): boolean;
}

export interface SubscribeOptions {
  group: string;
  topics: string[];
  /** Where a group with no committed offset starts: the earliest retained message, or only new ones. */
  fromBeginning?: boolean;
  maxBatchSize?: number;
  /** Per `topic:partition`, where to start when the group has no committed offset there (replays). */
  startOffsets?: Map<string, string>;
  /**
   * Handles one partition's batch and returns the offset of the last message it finished (the bus
   * then commits the offset after it), or null to commit nothing. Throwing means "retry later":
   * the batch is delivered again after a pause.
   */
  onBatch(batch: PartitionBatch, controls: BatchControls): Promise<string | null>;
}

export interface Subscription {
  /** Stops fetching, lets in-flight batches finish (their commits are skipped if they outlast it), leaves the group. */
  stop(): Promise<void>;
  /** Backpressure: stop fetching new batches until resume(); in-flight work continues. */
  pause(): void;
  resume(): void;
  /** The partitions this member processes now. */
  assignment(): { topic: string; partition: number }[];
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

/** Offsets `[from, to)` of one partition. */
export interface PartitionRange {
  partition: number;
  from: string;
  to: string;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** How long records are kept; null forever; absent: the bus's default. */
  retentionMs?: number | null;
}

export interface TopicInfo {
  topic: string;
  partitions: number;
  /** null: kept forever; undefined: the bus cannot tell (Kafka brokers keep it in their configs). */
  retentionMs?: number | null;
}

export interface Bus {
  readonly kind: 'kafka' | 'embedded';
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  createTopics(topics: TopicSpec[]): Promise<void>;
  /** Every topic on the bus with its partition count. */
  listTopics(): Promise<TopicInfo[]>;
  publish(messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * Per partition: the first offset at or after `timestamp`, or the end offset if none is; null
   * when the brokers cannot look offsets up by time.
   */
  offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionOffset[] | null>;
  /** Per partition: the earliest retained and the next-to-be-written offsets. */
  partitionBounds(topic: string): Promise<{ partition: number; low: string; high: string }[]>;
  /**
   * Reads each range once, in offset order per partition, without joining a group or committing:
   * inspection (dead letters) that moves nobody's offsets. Messages arrive in chunks.
   */
  readRange(
    topic: string,
    ranges: PartitionRange[],
    onMessages: (messages: BusMessage[]) => void,
  ): Promise<void>;
  /** Committed offsets of `group` (partitions without a commit are absent). */
  groupOffsets(group: string, topic: string): Promise<PartitionOffset[]>;
  close(): Promise<void>;
}
