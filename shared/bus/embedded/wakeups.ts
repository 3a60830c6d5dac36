import { EventEmitter } from 'node:events';
import { type FSWatcher, mkdirSync, unlinkSync, watch, writeFile } from 'node:fs';
import path from 'node:path';

/**
 * Wakes idle embedded-bus consumers when a partition gets new records, so they never busy-poll, and
 * wakes only that partition's worker (one publish used to wake every worker of every subscribed
 * topic, twice: measured in issue 21):
 * - in this process, through an event emitter;
 * - in other processes on the machine, through a file per topic, partition and publishing process
 *   under `dir` that publishers touch and consumers watch (inotify on Linux). The process's own files
 *   are ignored by name, since the emitter has already woken its consumers. Postgres LISTEN/NOTIFY
 *   is no option here: PGlite's socket server delivers a notification to the connection that sent
 *   it, not to the listener.
 * Consumers still re-check every `pollMs` in case a wake-up was missed.
 */
const inProcess = new EventEmitter().setMaxListeners(0);

export interface PartitionRef {
  topic: string;
  partition: number;
}

export interface Wakeups {
  notify(partitions: Iterable<PartitionRef>): void;
  /** Calls `onWake` when a partition of `topics` gets records; returns the unsubscribe function. */
  watch(topics: string[], onWake: (topic: string, partition: number) => void): () => void;
}

const SEPARATOR = '~';
const safe = (topic: string) => topic.replace(/[^A-Za-z0-9._-]/g, '_');
/** `topic~partition~pid`: topic names cannot hold `~` once made safe, so the name splits back. */
export const wakeupFileName = (topic: string, partition: number, pid: number) =>
  [safe(topic), partition, pid].join(SEPARATOR);

export function parseWakeupFileName(name: string): { topic: string; partition: number; pid: number } | null {
  const parts = name.split(SEPARATOR);
  if (parts.length !== 3) return null;
  const [topic, partition, pid] = [parts[0] as string, Number(parts[1]), Number(parts[2])];
  if (!Number.isInteger(partition) || !Number.isInteger(pid)) return null;
  return { topic, partition, pid };
}

const written = new Set<string>();
let cleanupRegistered = false;
/** This process's wake-up files go with it, so a home's run folder does not fill up across restarts. */
function removeOnExit(file: string): void {
  written.add(file);
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  process.once('exit', () => {
    for (const f of written) {
      try {
        unlinkSync(f);
      } catch {
        // already gone
      }
    }
  });
}

export function createWakeups(dir: string | null): Wakeups {
  if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    notify(partitions) {
      const seen = new Set<string>();
      for (const { topic, partition } of partitions) {
        const name = wakeupFileName(topic, partition, process.pid);
        if (seen.has(name)) continue;
        seen.add(name);
        inProcess.emit(topic, partition);
        if (!dir) continue;
        const file = path.join(dir, name);
        removeOnExit(file);
        // Best effort: a lost touch only delays the consumer until its next poll.
        writeFile(file, String(Date.now()), () => {});
      }
    },
    watch(topics, onWake) {
      const handlers = topics.map((topic) => {
        const handler = (partition: number) => onWake(topic, partition);
        inProcess.on(topic, handler);
        return { topic, handler };
      });
      let watcher: FSWatcher | null = null;
      if (dir) {
        const byName = new Map(topics.map((topic) => [safe(topic), topic]));
        try {
          watcher = watch(dir, { persistent: false }, (_event, name) => {
            const parsed = name ? parseWakeupFileName(name.toString()) : null;
            if (!parsed || parsed.pid === process.pid) return;
            const topic = byName.get(parsed.topic);
            if (topic !== undefined) onWake(topic, parsed.partition);
          });
          watcher.on('error', () => watcher?.close());
        } catch {
          watcher = null; // no inotify (or too many watches): polling still works
        }
      }
      return () => {
        for (const { topic, handler } of handlers) inProcess.off(topic, handler);
        watcher?.close();
      };
    },
  };
}
