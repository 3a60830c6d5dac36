import { EventEmitter } from 'node:events';
import { type FSWatcher, mkdirSync, watch, writeFile } from 'node:fs';
import path from 'node:path';

/**
 * Wakes idle embedded-bus consumers when a topic gets new records, so they never busy-poll:
 * - in this process, through an event emitter;
 * - in other processes on the machine, through a file per topic under `dir` that publishers touch
 *   and consumers watch (inotify on Linux). Postgres LISTEN/NOTIFY is no option here: PGlite's
 *   socket server delivers a notification to the connection that sent it, not to the listener.
 * Consumers still re-check every `pollMs` in case a wake-up was missed.
 */
const inProcess = new EventEmitter().setMaxListeners(0);

export interface Wakeups {
  notify(topics: Iterable<string>): void;
  /** Calls `onWake` when any of `topics` gets records; returns the unsubscribe function. */
  watch(topics: string[], onWake: () => void): () => void;
}

const fileName = (topic: string) => topic.replace(/[^A-Za-z0-9._-]/g, '_');

export function createWakeups(dir: string | null): Wakeups {
  if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    notify(topics) {
      for (const topic of new Set(topics)) {
        inProcess.emit(topic);
        // Best effort: a lost touch only delays the consumer until its next poll.
        if (dir) writeFile(path.join(dir, fileName(topic)), String(Date.now()), () => {});
      }
    },
    watch(topics, onWake) {
      for (const topic of topics) inProcess.on(topic, onWake);
      let watcher: FSWatcher | null = null;
      if (dir) {
        const names = new Set(topics.map(fileName));
        try {
          watcher = watch(dir, { persistent: false }, (_event, name) => {
            if (name && names.has(name.toString())) onWake();
          });
          watcher.on('error', () => watcher?.close());
        } catch {
          watcher = null; // no inotify (or too many watches): polling still works
        }
      }
      return () => {
        for (const topic of topics) inProcess.off(topic, onWake);
        watcher?.close();
      };
    },
  };
}
