import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SoakSample, soakChart, wrapWords } from './soak-chart.ts';

test('wrapWords: lines no longer than the width, words kept whole and in order', () => {
  const text = 'steady load at 50% of capacity, embedded bus: 10.7 listings/s for 2 min; 2 cores, AMD EPYC';
  const lines = wrapWords(text, 30);
  assert.ok(lines.length > 1);
  for (const line of lines) assert.ok(line.length <= 30, line);
  assert.equal(lines.join(' '), text);
  assert.deepEqual(wrapWords('averyveryverylongword short', 5), ['averyveryverylongword', 'short']);
  assert.deepEqual(wrapWords('', 10), []);
});

test('soakChart: a long caption wraps inside the chart, markup in it is dropped, every panel drawn', () => {
  const samples: SoakSample[] = [0, 5, 10].map((t) => ({
    t_s: t,
    in_flight: t / 5,
    p50_ms: 100 + t,
    p95_ms: 200 + t,
    rss_mb: 1000,
    heap_mb: 100,
  }));
  const caption = `grokcat bench soak <script> ${'word '.repeat(60)}end`;
  const svg = soakChart(samples, caption);
  const captionLines = [...svg.matchAll(/<text x="\d+" y="\d+" font-size="12">([^<]*)<\/text>/g)].map(
    (m) => m[1] ?? '',
  );
  assert.ok(captionLines.length >= 3);
  for (const line of captionLines) assert.ok(line.length <= 100, line);
  assert.ok(!svg.includes('<script>'));
  for (const title of ['publish to cataloged latency', 'listings in flight', 'memory of the process']) {
    assert.ok(svg.includes(title), title);
  }
  // The panels move down with the caption: the SVG grows by a line per extra caption line.
  const height = (s: string) => Number(/height="(\d+)"/.exec(s)?.[1]);
  assert.equal(height(svg) - height(soakChart(samples, 'short')), (captionLines.length - 1) * 16);
});
