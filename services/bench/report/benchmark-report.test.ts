import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { barChart } from './bar-chart.ts';
import { benchmarkReadme, reportCharts } from './benchmark-report.ts';
import type { BenchReport } from './report-types.ts';

const DIR = new URL('../../../docs/benchmarks/', import.meta.url);

test('docs/benchmarks/README.md and its charts are exactly what grokcat bench all writes from results.json', () => {
  const results = new URL('results.json', DIR);
  assert.ok(
    existsSync(results),
    'docs/benchmarks/results.json is committed (grokcat bench all --out docs/benchmarks)',
  );
  const report = JSON.parse(readFileSync(results, 'utf8')) as BenchReport;
  assert.equal(readFileSync(new URL('README.md', DIR), 'utf8'), benchmarkReadme(report));
  for (const [file, svg] of Object.entries(reportCharts(report))) {
    assert.equal(readFileSync(new URL(file, DIR), 'utf8'), svg, `${file} matches results.json`);
  }
  // Every suite ran, and every figure says where it ran.
  assert.deepEqual(Object.keys(report.suites).sort(), [
    'growth',
    'inference',
    'pipeline',
    'quality',
    'scaling',
    'soak',
    'vectors',
  ]);
  assert.deepEqual(report.failed, []);
  const readme = benchmarkReadme(report);
  assert.match(
    readme,
    new RegExp(
      `${report.machine.cores} cores, ${report.machine.cpu.replace(/[()]/g, '.')}, ${report.machine.date.slice(0, 10)}`,
    ),
  );
  for (const svg of Object.values(reportCharts(report)))
    assert.match(svg, new RegExp(report.machine.date.slice(0, 10)));
});

test('bar charts: values on the bars, a reference line, the caption, text escaped', () => {
  const svg = barChart({
    title: 'a <b> & c',
    unit: 'img/s',
    caption: '2 cores, <script>, 2026-11-30',
    groups: [
      {
        label: 'batch 1',
        bars: [
          { series: 'runtime', value: 254.2 },
          { series: 'bare', value: 12.5 },
        ],
      },
    ],
    reference: { value: 170, label: 'ceiling' },
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(!svg.includes('<script>') && !svg.includes('<b>'), 'text is escaped');
  assert.match(svg, />254</);
  assert.match(svg, />12.5</);
  assert.match(svg, /stroke-dasharray="5,4"/);
  assert.match(svg, /2026-11-30/);
  const log = barChart({
    title: 't',
    unit: 'ms',
    caption: 'c',
    log: true,
    groups: [
      {
        label: 'g',
        bars: [
          { series: 's', value: 0.5 },
          { series: 'u', value: 500 },
        ],
      },
    ],
  });
  assert.match(log, /log scale/);
});
