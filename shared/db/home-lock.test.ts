import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tryAcquireHomeLock } from './home-lock.ts';

test('home lock: one owner; others learn its pid; callers hanging up early do not hurt the owner', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'grokcat-lock-'));
  const first = await tryAcquireHomeLock(dir);
  assert.equal(first.acquired, true);
  try {
    const second = await tryAcquireHomeLock(dir);
    assert.deepEqual(second, { acquired: false, holderPid: process.pid });
    if (process.platform === 'linux') {
      // Callers that reset the connection at once: the owner's reply meets a closed socket.
      const name = `\0grokcat-home-${createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 40)}`;
      await Promise.all(
        Array.from(
          { length: 50 },
          () =>
            new Promise<void>((resolve) => {
              const socket = net.connect(name, () => socket.destroy());
              socket.on('close', () => resolve());
              socket.on('error', () => resolve());
            }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(await tryAcquireHomeLock(dir), { acquired: false, holderPid: process.pid });
    }
  } finally {
    if (first.acquired) await first.lock.release();
    rmSync(dir, { recursive: true, force: true });
  }
});
