import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { startModuleWorker } from '../lifecycle/module-worker.ts';
import type { Logger } from '../log/logger.ts';
import { tryAcquireHomeLock } from './home-lock.ts';
import type { PgliteWorkerData, PgliteWorkerMessage } from './pglite-worker.ts';

/** libpq names a server socket `<dir>/.s.PGSQL.<port>`; the port is only part of the name here. */
const SOCKET_PORT = 5432;
/** sun_path holds 108 bytes on Linux and 104 on macOS; stay below both. */
const MAX_SOCKET_PATH = 100;
/** Every grokcat process on the machine shares the one PGlite through this many connections. */
const MAX_CONNECTIONS = 100;

export interface EmbeddedPostgres {
  /** Directory holding the server's Unix socket; pg connects with `host` set to it. */
  readonly socketDir: string;
  readonly port: number;
  readonly dataDir: string;
  /** True when this process runs PGlite; false when it joined another grokcat process's server. */
  readonly owner: boolean;
  /** Stops the server if this process owns it; a joiner has nothing to stop. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  home: string;
  log: Logger;
  /** How long to wait for another process that holds the data to start answering. */
  waitMs: number;
}

/**
 * Starts PGlite with pgvector on `<home>/pgdata`, served on a Unix socket so that the same pg/knex
 * code runs as against a production Postgres; or, when another grokcat process already serves that
 * home, joins it. PGlite is single-user: only the lock owner ever opens the data files.
 */
export async function startOrJoinEmbeddedPostgres({
  home,
  log,
  waitMs,
}: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const runDir = path.join(home, 'run');
  const dataDir = path.join(home, 'pgdata');
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const socketDir = chooseSocketDir(runDir);
  const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  const deadline = Date.now() + waitMs;

  for (;;) {
    const attempt = await tryAcquireHomeLock(runDir);
    if (attempt.acquired) {
      try {
        return await serve({ dataDir, socketDir, socketPath, log, release: attempt.lock.release });
      } catch (error) {
        await attempt.lock.release();
        throw error;
      }
    }
    if (await isAnswering(socketPath)) {
      log.debug({ socketPath, holderPid: attempt.holderPid }, 'joining embedded database of another process');
      return { socketDir, port: SOCKET_PORT, dataDir, owner: false, stop: async () => {} };
    }
    if (Date.now() > deadline) {
      throw new GrokcatError(
        'DB_EMBEDDED_LOCKED',
        `The embedded database in ${home} is held by process ${attempt.holderPid ?? '(unknown)'}, ` +
          `which does not answer on ${socketPath}. Stop that process, or set DATABASE_URL.`,
        { details: { home, holderPid: attempt.holderPid } },
      );
    }
    await sleep(100);
  }
}

async function serve(args: {
  dataDir: string;
  socketDir: string;
  socketPath: string;
  log: Logger;
  release: () => Promise<void>;
}): Promise<EmbeddedPostgres> {
  const { dataDir, socketDir, socketPath, log, release } = args;
  const started = Date.now();
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  // We hold the lock, so a socket file left here belongs to a dead owner.
  rmSync(socketPath, { force: true });
  const worker = startModuleWorker(new URL('./pglite-worker.ts', import.meta.url), {
    dataDir,
    socketPath,
    maxConnections: MAX_CONNECTIONS,
  } satisfies PgliteWorkerData);
  const messages = workerMessages(worker);
  const first = await messages.next();
  if (first.type !== 'ready') {
    await worker.terminate();
    throw new GrokcatError(
      'DB_UNREACHABLE',
      `the embedded database in ${dataDir} did not start: ${first.type === 'failed' ? first.message : first.type}`,
    );
  }
  log.debug({ dataDir, socketPath, ms: Date.now() - started }, 'embedded database started (own thread)');
  let stopped = false;
  worker.once('exit', (code) => {
    if (!stopped) log.error({ dataDir, code }, 'the embedded database thread exited while serving');
  });
  return {
    socketDir,
    port: SOCKET_PORT,
    dataDir,
    owner: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage({ type: 'stop' });
      const last = await messages.next();
      if (last.type !== 'stopped')
        log.warn({ dataDir, message: last }, 'embedded database stopped uncleanly');
      await worker.terminate();
      rmSync(socketPath, { force: true });
      await release();
      log.debug({ dataDir }, 'embedded database stopped');
    },
  };
}

function chooseSocketDir(runDir: string): string {
  if (path.join(runDir, `.s.PGSQL.${SOCKET_PORT}`).length <= MAX_SOCKET_PATH) return runDir;
  // A deep GROKCAT_HOME: keep the socket in a private folder under the temp dir instead.
  const digest = createHash('sha256').update(runDir).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `grokcat-${digest}`);
}

function isAnswering(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The worker's messages in order; its exit or error ends the stream with `failed`. */
function workerMessages(worker: Worker): { next(): Promise<PgliteWorkerMessage> } {
  const queue: PgliteWorkerMessage[] = [];
  let waiting: ((message: PgliteWorkerMessage) => void) | null = null;
  const push = (message: PgliteWorkerMessage) => {
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve(message);
    } else queue.push(message);
  };
  worker.on('message', push);
  worker.on('error', (error) => push({ type: 'failed', message: error.message }));
  worker.on('exit', (code) => push({ type: 'failed', message: `the database thread exited (${code})` }));
  return {
    next: () =>
      new Promise((resolve) => {
        const queued = queue.shift();
        if (queued) resolve(queued);
        else waiting = resolve;
      }),
  };
}
