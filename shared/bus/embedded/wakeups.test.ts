import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { createWakeups, parseWakeupFileName, wakeupFileName } from './wakeups.ts';

test('wake-up file names carry topic, partition and the publishing process', () => {
  const name = wakeupFileName('listings.enriched', 7, 4242);
  assert.deepEqual(parseWakeupFileName(name), { topic: 'listings.enriched', partition: 7, pid: 4242 });
  assert.equal(parseWakeupFileName('listings.enriched'), null);
  assert.equal(parseWakeupFileName('a~b~c'), null);
});

test('a publish wakes only its partitions: once in this process, and by file in another process', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'grokcat-wakeups-'));
  try {
    const wakeups = createWakeups(dir);
    const woken: string[] = [];
    const unwatch = wakeups.watch(['t.one', 't.two'], (topic, partition) =>
      woken.push(`${topic}:${partition}`),
    );
    wakeups.notify([
      { topic: 't.one', partition: 3 },
      { topic: 't.one', partition: 3 },
      { topic: 't.three', partition: 0 },
    ]);
    await sleep(300); // the process's own file event arrives and is ignored
    assert.deepEqual(woken, ['t.one:3'], 'one wake-up per partition, none from our own file');

    woken.length = 0;
    const module = pathToFileURL(path.resolve(import.meta.dirname, 'wakeups.ts')).href;
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { createWakeups } = await import(${JSON.stringify(module)});
         createWakeups(${JSON.stringify(dir)}).notify([{ topic: 't.two', partition: 5 }]);
         await new Promise((r) => setTimeout(r, 100));`,
      ],
      { cwd: path.resolve(import.meta.dirname, '../../..') },
    );
    for (let i = 0; i < 50 && !woken.includes('t.two:5'); i++) await sleep(50);
    assert.ok(woken.includes('t.two:5'), `woken by the other process: ${woken.join(', ')}`);
    assert.ok(
      woken.every((w) => w === 't.two:5'),
      `only that partition: ${woken.join(', ')}`,
    );
    unwatch();
    assert.ok(
      !readdirSync(dir).some((f) => f.startsWith('t.two~5~')),
      `the other process removed its file when it exited: ${readdirSync(dir).join(', ')}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
