import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { GrokcatError } from '../errors/error-catalogue.ts';
import type { Logger } from '../log/logger.ts';
import { tryAcquireHomeLock } from './home-lock.ts';
import { servePglite } from './pglite-socket-server.ts';

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
  const db = await PGlite.create({ dataDir, extensions: { vector } });
  let server: Awaited<ReturnType<typeof servePglite>>;
  try {
    server = await servePglite(db, { path: socketPath }, MAX_CONNECTIONS);
  } catch (error) {
    await db.close();
    throw error;
  }
  log.debug({ dataDir, socketPath, ms: Date.now() - started }, 'embedded database started');
  let stopped = false;
  return {
    socketDir,
    port: SOCKET_PORT,
    dataDir,
    owner: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
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
