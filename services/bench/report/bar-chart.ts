export interface BarGroup {
  label: string;
  bars: { series: string; value: number }[];
}

export interface BarChartSpec {
  title: string;
  unit: string;
  /** The machine and date: every chart says where its figures come from. */
  caption: string;
  groups: BarGroup[];
  /** A horizontal reference (a ceiling, a baseline) drawn across the chart. */
  reference?: { value: number; label: string };
  /** Log scale for values that span orders of magnitude (query times). */
  log?: boolean;
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 760;
const H = 300;
const LEFT = 64;
const RIGHT = 20;
const TOP = 62;
const BOTTOM = 58;

const text = (s: string) => s.replace(/[<&>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const short = (v: number) =>
  v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);

/** Grouped vertical bars as a standalone SVG (no script, no external font), values printed on the bars. */
export function barChart(spec: BarChartSpec): string {
  const series = [...new Set(spec.groups.flatMap((g) => g.bars.map((b) => b.series)))];
  const colour = (name: string) => COLOURS[series.indexOf(name) % COLOURS.length] as string;
  const values = spec.groups.flatMap((g) => g.bars.map((b) => b.value)).concat(spec.reference?.value ?? []);
  const max = Math.max(1e-9, ...values) * 1.15;
  const min = spec.log ? Math.max(1e-3, Math.min(...values.filter((v) => v > 0)) / 2) : 0;
  const plotH = H - TOP - BOTTOM;
  const y = (v: number) =>
    spec.log
      ? TOP +
        plotH -
        ((Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * plotH
      : TOP + plotH - (v / max) * plotH;
  const groupW = (W - LEFT - RIGHT) / Math.max(1, spec.groups.length);
  const barW = Math.min(46, (groupW * 0.8) / Math.max(1, series.length));
  const parts: string[] = [];
  const ticks = spec.log
    ? Array.from({ length: 8 }, (_, i) => 10 ** (Math.floor(Math.log10(min)) + i)).filter(
        (v) => v >= min && v <= max,
      )
    : [0, 0.25, 0.5, 0.75, 1].map((f) => max * f);
  for (const v of ticks) {
    parts.push(
      `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e4e4e4"/>`,
      `<text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${short(v)}</text>`,
    );
  }
  spec.groups.forEach((group, g) => {
    const x0 = LEFT + g * groupW + (groupW - barW * group.bars.length) / 2;
    group.bars.forEach((bar, b) => {
      const x = x0 + b * barW;
      const top = y(bar.value);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 3).toFixed(1)}" height="${(TOP + plotH - top).toFixed(1)}" fill="${colour(bar.series)}"/>`,
        `<text x="${(x + (barW - 3) / 2).toFixed(1)}" y="${(top - 3).toFixed(1)}" text-anchor="middle" font-size="10">${short(bar.value)}</text>`,
      );
    });
    parts.push(
      `<text x="${(LEFT + g * groupW + groupW / 2).toFixed(1)}" y="${H - BOTTOM + 16}" text-anchor="middle">${text(group.label)}</text>`,
    );
  });
  if (spec.reference) {
    const ry = y(spec.reference.value).toFixed(1);
    parts.push(
      `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${ry}" y2="${ry}" stroke="#444" stroke-dasharray="5,4"/>`,
      `<text x="${W - RIGHT}" y="${(Number(ry) - 4).toFixed(1)}" text-anchor="end">${text(spec.reference.label)}</text>`,
    );
  }
  const legend = series.map(
    (name, i) =>
      `<rect x="${LEFT + (i % 4) * 170}" y="${34 + Math.floor(i / 4) * 14}" width="10" height="10" fill="${colour(name)}"/><text x="${LEFT + 14 + (i % 4) * 170}" y="${43 + Math.floor(i / 4) * 14}">${text(name)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${LEFT}" y="18" font-size="13" font-weight="bold">${text(spec.title)} (${text(spec.unit)}${spec.log ? ', log scale' : ''})</text>
${legend.join('\n')}
${parts.join('\n')}
<line x1="${LEFT}" x2="${W - RIGHT}" y1="${TOP + plotH}" y2="${TOP + plotH}" stroke="#888"/>
<text x="${LEFT}" y="${H - 10}" fill="#555">${text(spec.caption)}</text>
</svg>
`;
}
