import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../log/logger.ts';
import { registerShutdown } from './shutdown.ts';

// Each case listens on its own made-up signal name, emitted by hand, so no real signal is sent.
function harness(signal: string, stop: () => Promise<void>, timeoutMs = 1000) {
  const exits: number[] = [];
  let stops = 0;
  registerShutdown(
    async () => {
      stops += 1;
      await stop();
    },
    { log: silentLogger(), timeoutMs, signals: [signal as NodeJS.Signals], exit: (code) => exits.push(code) },
  );
  return {
    exits,
    stops: () => stops,
    emit: () => process.emit(signal as NodeJS.Signals, signal as NodeJS.Signals),
  };
}

test('stops once and exits 0 after a clean stop', async () => {
  const h = harness('GROKCAT_TEST_A', async () => {});
  h.emit();
  await sleep(10);
  assert.deepEqual(h.exits, [0]);
  assert.equal(h.stops(), 1);
});

test('a second signal exits at once with 130', async () => {
  const h = harness('GROKCAT_TEST_B', () => sleep(200));
  h.emit();
  h.emit();
  assert.deepEqual(h.exits, [130]);
  assert.equal(h.stops(), 1);
  await sleep(250);
  assert.deepEqual(h.exits, [130, 0]);
});

test('exits 1 when stopping fails or outlasts the timeout', async () => {
  const failing = harness('GROKCAT_TEST_C', async () => {
    throw new Error('boom');
  });
  failing.emit();
  await sleep(10);
  assert.deepEqual(failing.exits, [1]);

  const slow = harness('GROKCAT_TEST_D', () => sleep(500), 50);
  slow.emit();
  await sleep(100);
  assert.deepEqual(slow.exits, [1]);
});
