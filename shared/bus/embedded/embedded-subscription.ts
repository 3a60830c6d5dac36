import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log/logger.ts';
import type { BusMessage, SubscribeOptions, Subscription } from '../bus.ts';
import type { EmbeddedLogRepository } from './embedded-log.repository.ts';
import type { Wakeups } from './wakeups.ts';

export interface EmbeddedConsumerSettings {
  /** How often a member renews its membership and leases and re-balances. */
  heartbeatMs: number;
  /** A member (and its leases) silent for this long is dead; its partitions go to the others. */
  sessionTimeoutMs: number;
  /** Idle consumers re-check this often even without a wake-up. */
  pollMs: number;
  /** Pause after a failed batch before it is delivered again. */
  retryBackoffMs: number;
}

interface Worker {
  topic: string;
  partition: number;
  active: boolean;
  wake: () => void;
  done: Promise<void>;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * One member of a consumer group on the embedded log. Membership is a heartbeat row; partitions are
 * spread over the live members in a deterministic round-robin, and each is processed only under a
 * lease (`bus_partition_owners`) that also guards the offset commit, so a member that lost a
 * partition cannot commit over its new owner.
 */
export async function startEmbeddedSubscription(args: {
  repo: EmbeddedLogRepository;
  wakeups: Wakeups;
  log: Logger;
  options: SubscribeOptions;
  settings: EmbeddedConsumerSettings;
  partitionsOf: (topic: string) => Promise<number>;
}): Promise<Subscription> {
  const { repo, wakeups, options, settings, partitionsOf } = args;
  const { group, topics, maxBatchSize = 100, fromBeginning = false } = options;
  const member = randomUUID();
  const log = args.log.child({ group, member: member.slice(0, 8) });
  const workers = new Map<string, Worker>();
  let running = true;
  let paused = false;

  const wakeAll = () => {
    for (const worker of workers.values()) worker.wake();
  };
  const unwatch = wakeups.watch(topics, (topic, partition) => workers.get(key(topic, partition))?.wake());

  const startPosition = async (topic: string, partition: number): Promise<string> => {
    const committed = (await repo.groupOffsets(group, topic)).find((o) => o.partition === partition);
    if (committed) return committed.offset;
    const requested = options.startOffsets?.get(`${topic}:${partition}`);
    if (requested !== undefined) return requested;
    const bounds = (await repo.bounds(topic)).find((b) => b.partition === partition);
    return (fromBeginning ? bounds?.low : bounds?.high) ?? '0';
  };

  const runWorker = (topic: string, partition: number): Worker => {
    // A wake-up that comes while the worker is fetching or handling a batch is kept, so records
    // published in that moment are fetched at once rather than after the next poll.
    let pending = false;
    let wakeUp: (() => void) | null = null;
    const wake = () => {
      if (wakeUp) wakeUp();
      else pending = true;
    };
    const worker: Worker = { topic, partition, active: true, wake, done: Promise.resolve() };
    const idle = (ms: number) =>
      new Promise<void>((resolve) => {
        if (pending) {
          pending = false;
          resolve();
          return;
        }
        const timer = setTimeout(resolve, ms);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      }).finally(() => {
        wakeUp = null;
      });
    const controls = { heartbeat: async () => {}, isActive: () => running && worker.active };
    worker.done = (async () => {
      let position = await startPosition(topic, partition);
      while (controls.isActive()) {
        if (paused) {
          await idle(settings.pollMs);
          continue;
        }
        pending = false;
        let messages: BusMessage[];
        let highWatermark: string;
        try {
          ({ messages, high: highWatermark } = await repo.fetchWithHigh(
            topic,
            partition,
            position,
            maxBatchSize,
          ));
        } catch (error) {
          // The database busy or away: the same position is fetched again after a pause.
          log.warn(
            { err: error, topic, partition, offset: position },
            'fetch failed: trying again after a pause',
          );
          await idle(settings.retryBackoffMs);
          continue;
        }
        if (messages.length === 0) {
          await idle(settings.pollMs);
          continue;
        }
        let last: string | null;
        try {
          last = await options.onBatch({ topic, partition, messages, highWatermark }, controls);
        } catch (error) {
          log.warn(
            { err: error, topic, partition, offset: position },
            'batch failed: delivering it again after a pause',
          );
          await idle(settings.retryBackoffMs);
          continue;
        }
        if (last === null || !controls.isActive()) continue;
        const next = (BigInt(last) + 1n).toString();
        if (!(await repo.commitIfOwner(group, member, topic, partition, next))) {
          log.info({ topic, partition }, 'partition lease lost before commit: leaving it to its new owner');
          worker.active = false;
          break;
        }
        position = next;
        // A short batch was all there was: wait for a wake-up (or one that came during the batch)
        // instead of fetching an empty page after every batch.
        if (messages.length < maxBatchSize) await idle(settings.pollMs);
      }
    })().catch((error: unknown) => {
      log.error(
        { err: error, topic, partition },
        'partition worker failed: it restarts at the next rebalance',
      );
      worker.active = false;
    });
    return worker;
  };

  const rebalance = async () => {
    const members = await repo.heartbeat(group, member, topics, settings.sessionTimeoutMs);
    const all: { topic: string; partition: number }[] = [];
    for (const topic of [...topics].sort()) {
      const count = await partitionsOf(topic);
      for (let partition = 0; partition < count; partition++) all.push({ topic, partition });
    }
    const index = Math.max(0, members.indexOf(member));
    const desired = all.filter((_, i) => i % Math.max(1, members.length) === index);
    const held = await repo.claim(group, member, desired, settings.sessionTimeoutMs);
    const heldKeys = new Set(held.map((p) => key(p.topic, p.partition)));
    for (const [k, worker] of workers) {
      if (heldKeys.has(k)) {
        if (!worker.active) workers.delete(k); // it failed or lost its lease: a new worker starts below
        continue;
      }
      worker.active = false;
      worker.wake();
      workers.delete(k);
      // Hand an unwanted partition over only once its in-flight batch has finished.
      void worker.done.then(() =>
        repo.release(group, member, [{ topic: worker.topic, partition: worker.partition }]),
      );
    }
    for (const p of held) {
      const k = key(p.topic, p.partition);
      if (!workers.has(k)) workers.set(k, runWorker(p.topic, p.partition));
    }
  };

  await rebalance();
  let beat: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    beat = beat
      .then(() => (running ? rebalance() : undefined))
      .catch((error: unknown) => log.warn({ err: error }, 'group heartbeat failed'));
  }, settings.heartbeatMs);
  log.debug({ topics, partitions: workers.size }, 'embedded consumer joined its group');

  return {
    async stop() {
      if (!running) return;
      running = false;
      clearInterval(timer);
      unwatch();
      wakeAll();
      await beat;
      await Promise.all([...workers.values()].map((w) => w.done));
      workers.clear();
      await repo.leave(group, member);
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      wakeAll();
    },
    assignment: () =>
      [...workers.values()].filter((w) => w.active).map(({ topic, partition }) => ({ topic, partition })),
  };
}
