export interface SoakSample {
  /** Seconds since the steady load began. */
  t_s: number;
  /** Listings published and not yet cataloged. */
  in_flight: number;
  /** Publish-to-cataloged latency of the listings cataloged in this sample's window. */
  p50_ms: number;
  p95_ms: number;
  rss_mb: number;
  heap_mb: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const W = 760;
const PANEL = 190;
const LEFT = 64;
const RIGHT = 20;
const TOP = 36;
const GAP = 46;

interface Series {
  label: string;
  colour: string;
  values: number[];
}

function panel(top: number, title: string, unit: string, times: number[], series: Series[]): string {
  const tMax = Math.max(1, ...times);
  const yMax = Math.max(1, ...series.flatMap((s) => s.values)) * 1.1;
  const x = (t: number) => LEFT + (t / tMax) * (W - LEFT - RIGHT);
  const y = (v: number) => top + PANEL - (v / yMax) * PANEL;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = yMax * f;
    return `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#e4e4e4"/><text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`;
  });
  const lines = series.map(
    (s) =>
      `<polyline fill="none" stroke="${s.colour}" stroke-width="1.8" points="${s.values
        .map((v, i) => `${x(times[i] ?? 0).toFixed(1)},${y(v).toFixed(1)}`)
        .join(' ')}"/>`,
  );
  const legend = series.map(
    (s, i) =>
      `<rect x="${LEFT + 10 + i * 150}" y="${top - 14}" width="12" height="4" fill="${s.colour}"/><text x="${LEFT + 26 + i * 150}" y="${top - 10}">${s.label}</text>`,
  );
  return [
    `<text x="${LEFT}" y="${top - 22}" font-weight="bold">${title} (${unit})</text>`,
    ...ticks,
    ...lines,
    ...legend,
    `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${top + PANEL}" y2="${top + PANEL}" stroke="#888"/>`,
    `<text x="${W - RIGHT}" y="${top + PANEL + 16}" text-anchor="end">${tMax} s</text>`,
  ].join('\n');
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

// About 6.7 px a character at 12 px sans-serif: the caption wraps before the chart's right edge.
const CAPTION_CHARS = Math.floor((W - LEFT - RIGHT) / 6.7);
const CAPTION_LINE = 16;

/** The soak run as an SVG: latency, listings in flight and memory over time. */
export function soakChart(samples: SoakSample[], caption: string): string {
  const t = samples.map((s) => s.t_s);
  const lines = wrapWords(caption.replace(/[<&>]/g, ''), CAPTION_CHARS);
  const top = TOP + 22 + (lines.length - 1) * CAPTION_LINE;
  const height = top - 22 + 3 * (PANEL + GAP) + 10;
  const captionSvg = lines
    .map((line, i) => `<text x="${LEFT}" y="${16 + i * CAPTION_LINE}" font-size="12">${line}</text>`)
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif" font-size="11">
<title>${lines.join(' ')}</title>
<rect width="100%" height="100%" fill="white"/>
${captionSvg}
${panel(top, 'publish to cataloged latency', 'ms', t, [
  { label: 'p50', colour: '#1f77b4', values: samples.map((s) => s.p50_ms) },
  { label: 'p95', colour: '#d62728', values: samples.map((s) => s.p95_ms) },
])}
${panel(top + PANEL + GAP, 'listings in flight (lag)', 'listings', t, [
  { label: 'published, not yet cataloged', colour: '#2ca02c', values: samples.map((s) => s.in_flight) },
])}
${panel(top + 2 * (PANEL + GAP), 'memory of the process', 'MiB', t, [
  { label: 'RSS', colour: '#9467bd', values: samples.map((s) => s.rss_mb) },
  { label: 'JS heap', colour: '#ff7f0e', values: samples.map((s) => s.heap_mb) },
])}
</svg>
`;
}
