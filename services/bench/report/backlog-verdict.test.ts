import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SoakSample } from '../soak-chart.ts';
import { backlogSentence, backlogVerdict } from './backlog-verdict.ts';

const run = (inFlight: number[]): SoakSample[] =>
  inFlight.map((n, i) => ({
    t_s: i * 5,
    in_flight: n,
    p50_ms: 100 + n * 50,
    p95_ms: 200 + n * 60,
    rss_mb: 1000,
    heap_mb: 100,
  }));

test('a backlog that stays low is flat', () => {
  assert.deepEqual(backlogVerdict(run([3, 2, 5, 4, 15, 3, 2, 4])), { kind: 'flat', peak: 15 });
  assert.match(
    backlogSentence('embedded bus', run([3, 2, 5])),
    /sustained: listings in flight stayed flat \(at most 5\)/,
  );
});

test('a backlog still growing at the end means the load was not sustained', () => {
  const samples = run([5, 6, 7, 20, 40, 60, 80, 100, 120]);
  assert.equal(backlogVerdict(samples).kind, 'growing');
  assert.match(backlogSentence('kafka bus', samples), /not sustained: .* from about 6 to 100/);
});

test('a backlog that rose and fell is an episode, with when, how high and whether it drained', () => {
  const drained = run([12, 12, 14, 22, 45, 115, 258, 140, 20, 12, 11, 12]);
  const v = backlogVerdict(drained);
  assert.deepEqual(
    { ...v, end: Math.round((v as { end: number }).end) },
    {
      kind: 'episode',
      fromS: 25,
      toS: 35,
      peak: 258,
      peakP50Ms: 100 + 258 * 50,
      end: 12,
      drained: true,
      atPeakAtEnd: false,
    },
  );
  assert.match(
    backlogSentence('kafka bus', drained),
    /from 25 s to 35 s .* peaking at 258 .* then the backlog drained/,
  );
  // Still falling when the run ended (the bench-all Kafka run of 2026-11-30 in miniature).
  const draining = run([12, 12, 14, 22, 45, 115, 258, 229, 201, 140, 119]);
  assert.equal(backlogVerdict(draining).kind, 'episode');
  assert.match(backlogSentence('kafka bus', draining), /was draining at the end \(about 153 in flight\)/);
});

test('a rise in the last quarter of the run is an episode cut short, not a growing backlog', () => {
  // The native PostgreSQL Kafka soak of 2026-12-02: flat for 575 s, then 141, 272, 279 in flight.
  const late = run([...Array.from({ length: 40 }, () => 25), 141, 272, 279]);
  const v = backlogVerdict(late);
  assert.equal(v.kind, 'episode');
  assert.equal((v as { atPeakAtEnd: boolean }).atPeakAtEnd, true);
  assert.match(
    backlogSentence('kafka bus', late),
    /from 200 s to 210 s .* still near its peak when the run ended/,
  );
});
