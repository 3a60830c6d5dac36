import { api } from './api.js';
import { h, say, show, svg } from './dom.js';

const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7b83', '#57606a'];

/** A line chart of each metric across versions (oldest left), drawn as SVG with a text fallback. */
function metricsChart(versions) {
  const names = [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))]
    .filter((name) =>
      versions.every((v) => v.metrics[name] === undefined || (v.metrics[name] >= 0 && v.metrics[name] <= 1)),
    )
    .slice(0, 8);
  if (names.length === 0 || versions.length === 0) return h('p', {}, 'No metrics recorded yet.');
  const width = 640;
  const height = 240;
  const pad = { left: 40, right: 16, top: 12, bottom: 28 };
  const x = (i) =>
    pad.left + (versions.length === 1 ? 0.5 : i / (versions.length - 1)) * (width - pad.left - pad.right);
  const y = (value) => pad.top + (1 - value) * (height - pad.top - pad.bottom);
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title', class: 'chart' },
    svg('title', { id: 'chart-title' }, `Metrics of ${versions.length} model versions, oldest first`),
    [0, 0.25, 0.5, 0.75, 1].map((tick) => [
      svg('line', { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: 'grid-line' }),
      svg('text', { x: pad.left - 6, y: y(tick) + 4, 'text-anchor': 'end', class: 'axis' }, tick.toFixed(2)),
    ]),
    versions.map((_v, i) =>
      svg('text', { x: x(i), y: height - 8, 'text-anchor': 'middle', class: 'axis' }, `v${i + 1}`),
    ),
    names.map((name, n) => {
      const points = versions.map((v, i) => [i, v.metrics[name]]).filter(([, value]) => value !== undefined);
      const colour = COLOURS[n % COLOURS.length];
      return [
        svg('polyline', {
          points: points.map(([i, value]) => `${x(i)},${y(value)}`).join(' '),
          fill: 'none',
          stroke: colour,
          'stroke-width': 2,
        }),
        points.map(([i, value]) =>
          svg(
            'circle',
            { cx: x(i), cy: y(value), r: 3.5, fill: colour },
            svg('title', {}, `${name} ${versions[i].version}: ${value.toFixed(4)}`),
          ),
        ),
      ];
    }),
  );
  const legend = h(
    'ul',
    { class: 'legend' },
    names.map((name, n) =>
      // An SVG swatch: the console's CSP allows no inline style attributes.
      h(
        'li',
        {},
        svg(
          'svg',
          { width: 12, height: 12, class: 'swatch', 'aria-hidden': 'true' },
          svg('rect', { width: 12, height: 12, rx: 2, fill: COLOURS[n % COLOURS.length] }),
        ),
        name,
      ),
    ),
  );
  return h(
    'figure',
    {},
    chart,
    legend,
    h('figcaption', {}, 'Gated metrics per version (0 to 1); hover a point for its value.'),
  );
}

/** Model versions: their metrics over time, the serving one, rollback (admin keys). */
export async function renderModels(main) {
  const models = await api('/v1/models');
  const rollback = (version) => async () => {
    if (!window.confirm(`Serve ${version} again? Every enricher swaps to it.`)) return;
    try {
      const result = await api(`/v1/models/${encodeURIComponent(version)}/rollback`, {
        method: 'POST',
        json: {},
      });
      await renderModels(main);
      say(
        `${result.version} serves again (was ${result.previous_version ?? 'none'})${result.backfill_required ? ': its embedding space differs, run a backfill' : ''}.`,
      );
    } catch (error) {
      say(`Rollback refused: ${error.message}`, 'error');
    }
  };
  const metricNames = [...new Set(models.versions.flatMap((v) => Object.keys(v.metrics)))].slice(0, 6);
  show(
    main,
    h('h1', {}, 'Models'),
    h(
      'p',
      {},
      'Serving: ',
      h('strong', { id: 'serving-version' }, models.serving ?? 'none'),
      ` - this process runs ${models.loaded}`,
    ),
    metricsChart(models.versions),
    h(
      'table',
      { class: 'models' },
      h('caption', {}, 'Versions, oldest first'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Version'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Created'),
          metricNames.map((m) => h('th', { scope: 'col' }, m)),
          h('th', { scope: 'col' }, 'Action'),
        ),
      ),
      h(
        'tbody',
        {},
        models.versions.map((v) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, v.version, h('br'), h('small', {}, v.training_data)),
            h('td', {}, h('span', { class: `badge ${v.status}` }, v.status)),
            h('td', {}, v.created_at ? new Date(v.created_at).toLocaleString() : '-'),
            metricNames.map((m) => h('td', {}, v.metrics[m] === undefined ? '-' : v.metrics[m].toFixed(3))),
            h(
              'td',
              {},
              v.status === 'serving'
                ? ''
                : h('button', { type: 'button', onclick: rollback(v.version) }, 'Serve this version'),
            ),
          ),
        ),
      ),
    ),
  );
}
