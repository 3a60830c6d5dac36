import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * One process at a time may open the embedded database's files; every other grokcat process on the
 * machine joins it over its socket. This lock decides who owns them.
 *
 * On Linux the lock is a listening socket in the abstract namespace: binding is atomic and the
 * kernel releases it when the owner dies, even by SIGKILL, so there is no stale lock to judge and
 * no window in which two processes both think they own the data. Elsewhere it is a pid file
 * created with O_EXCL, taken over when its pid is no longer alive (a small race remains there
 * when two processes start in the same instant after a crash).
 */
export interface HomeLock {
  release(): Promise<void>;
}

export type LockResult = { acquired: true; lock: HomeLock } | { acquired: false; holderPid: number | null };

export async function tryAcquireHomeLock(runDir: string): Promise<LockResult> {
  return process.platform === 'linux' ? tryAbstractSocketLock(runDir) : tryPidFileLock(runDir);
}

function lockName(runDir: string): string {
  const digest = createHash('sha256').update(realpathSync(runDir)).digest('hex').slice(0, 40);
  return `\0grokcat-home-${digest}`;
}

async function tryAbstractSocketLock(runDir: string): Promise<LockResult> {
  const server = net.createServer((socket) => {
    // A caller that hangs up first (EPIPE, ECONNRESET) must not bring the owner down.
    socket.on('error', () => socket.destroy());
    // Anyone asking who holds the lock gets the pid and is hung up on.
    socket.end(JSON.stringify({ pid: process.pid }));
  });
  const name = lockName(runDir);
  const bound = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(false) : reject(error),
    );
    server.listen(name, () => resolve(true));
  });
  if (bound) {
    server.unref();
    return {
      acquired: true,
      lock: { release: () => new Promise((resolve) => server.close(() => resolve())) },
    };
  }
  return { acquired: false, holderPid: await askHolderPid(name) };
}

function askHolderPid(name: string): Promise<number | null> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect(name);
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('close', () => {
      try {
        resolve((JSON.parse(data) as { pid: number }).pid);
      } catch {
        resolve(null);
      }
    });
    socket.on('error', () => resolve(null));
  });
}

function tryPidFileLock(runDir: string): Promise<LockResult> {
  const file = path.join(runDir, 'embedded.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = async () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
      return Promise.resolve({ acquired: true, lock: { release } });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && isAlive(pid)) return Promise.resolve({ acquired: false, holderPid: pid });
      unlinkSync(file);
    }
  }
  return Promise.resolve({ acquired: false, holderPid: null });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
