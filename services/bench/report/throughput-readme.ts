import type { SoakResult } from '../soak-bench.ts';
import { backlogSentence, backlogVerdict } from './backlog-verdict.ts';
import { num, pct, table } from './markdown-table.ts';
import { type BenchReport, databaseLabel, runLabel, soakChartFile } from './report-types.ts';

type Suites = BenchReport['suites'];

/** How long the runs' Kafka consumers waited per fetch, and why that matters on the mock cluster. */
export function mockWaitSentence(runs: SoakResult[]): string[] {
  const waits = [...new Set(runs.filter((r) => r.bus === 'kafka').map((r) => r.consumer_max_wait_ms ?? 250))];
  if (waits.length === 0) return [];
  return [
    `Kafka consumers waited up to ${waits.join(' / ')} ms per fetch (\`GROKCAT_CONSUMER_MAX_WAIT_MS\`; 250 by default). ` +
      "librdkafka's mock cluster holds a fetch that found nothing for the whole wait even when records arrive meanwhile, where a broker answers at once, " +
      'so on the mock each hop (listings.created, listings.enriched, listings.cataloged) can add up to that wait to the latency.',
    '',
  ];
}

/** Issue 21's targets, stated where they are measured. */
export const GROWTH_TARGET = 1.2;
export const SOAK_P95_TARGET_MS = 1000;

/** Enricher processes against one cataloger: the scaling suite. */
export function scalingSection(r: BenchReport, s: NonNullable<Suites['scaling']>): string[] {
  const one = s.runs[0];
  const cores = r.machine.cores;
  const out = [
    '<a id="scaling"></a>',
    '## Scaling',
    '',
    `Enricher processes (\`grokcat start --services enricher\`, each with cores / N ONNX Runtime threads) and one cataloger process on librdkafka's mock cluster, ` +
      '8 partitions, one Postgres (PGlite over TCP, served by the benchmark process, which also publishes and counts; with `--postgres`, also a native PostgreSQL on the same machine, whose server processes’ CPU is counted with the database). CPU time of every process over the measured window, per listing:',
    '',
    table(
      [
        'database',
        'enrichers',
        'listings',
        'listings/s',
        'enricher CPU ms/listing',
        'cataloger CPU ms/listing',
        'database + driver CPU ms/listing',
        'busy cores',
        'work per enricher',
      ],
      s.runs.map((x) => [
        databaseLabel(x.database),
        x.enrichers,
        x.listings,
        num(x.listings_per_s),
        num(x.cpu_ms_per_listing.enrichers),
        num(x.cpu_ms_per_listing.cataloger),
        num(x.cpu_ms_per_listing.database_and_driver),
        `${num(x.busy_cores, 2)} of ${cores}`,
        x.enricher_shares.map((share) => pct(share)).join(' / '),
      ]),
    ),
    '',
    '![throughput by enricher processes](scaling.svg)',
    '',
  ];
  if (one) {
    const cost = (x: typeof one) =>
      x.cpu_ms_per_listing.enrichers +
      x.cpu_ms_per_listing.cataloger +
      x.cpu_ms_per_listing.database_and_driver;
    const databases = [...new Set(s.runs.map((x) => x.database ?? 'pglite'))];
    const limits = databases.map((database) => {
      const runs = s.runs.filter((x) => (x.database ?? 'pglite') === database);
      const single = runs.find((x) => x.enrichers === 1) ?? (runs[0] as typeof one);
      const total = cost(single);
      return (
        `On ${databaseLabel(database)} a listing costs about ${num(total, 0)} ms of CPU in all with one enricher ` +
        `(enricher ${num(single.cpu_ms_per_listing.enrichers, 0)}, cataloger ${num(single.cpu_ms_per_listing.cataloger, 0)}, ` +
        `database and driver ${num(single.cpu_ms_per_listing.database_and_driver, 0)}), so ${cores} cores can do at most about ${num((cores * 1000) / total, 0)} listings/s; ` +
        `its runs reach ${num(Math.max(...runs.map((x) => x.listings_per_s)))} with up to ${num(Math.max(...runs.map((x) => x.busy_cores)), 2)} cores busy.`
      );
    });
    out.push(
      `**What limits it here.** ${limits.join(' ')} ` +
        'More enricher processes on the same cores share them rather than add any: the machine, not the number of consumers, is the limit.',
      '',
    );
    const perCoreEnricher = 1000 / Math.max(1e-9, one.cpu_ms_per_listing.enrichers);
    const catalogCeiling =
      1000 / Math.max(1e-9, one.cpu_ms_per_listing.cataloger + one.cpu_ms_per_listing.database_and_driver);
    out.push(
      '**N machines.** Enrichers are stateless consumers of one group: each core added to the enricher tier adds about ' +
        `${num(perCoreEnricher, 0)} listings/s (${num(one.cpu_ms_per_listing.enrichers, 0)} ms each), until the partitions run out ` +
        '(`GROKCAT_BUS_PARTITIONS`: one busy member per partition; create topics with 32-64 for room). Catalogers lock only the products ' +
        'a listing joins, and serialise only the founding of new products per embedding space (docs/catalog.md), so cataloger processes ' +
        `add up on a native PostgreSQL; one cataloger here does about ${num(catalogCeiling, 0)} listings/s counting its own and the embedded database's CPU. ` +
        "PGlite's WebAssembly runs one transaction at a time: a native Postgres on its own machine takes the database share off the pipeline's cores.",
      '',
    );
  }
  return out;
}

/** "Cost per listing as the catalogue grows": the growth suite. */
export function growthSection(s: NonNullable<Suites['growth']>): string[] {
  const out = [
    '<a id="growth"></a>',
    '## Cost per listing as the catalogue grows',
    '',
    'The enricher and cataloger in one process on the embedded bus; the catalogue filled to each size, then a flood of more listings ' +
      '(one photo each; every fifth founds a product, the rest join one, as during the fill) timed to its last `listings.cataloged` event. ' +
      "CPU: this process (every thread: ONNX Runtime's and PGlite's workers) plus, on a native PostgreSQL, the server's processes. " +
      `Target: the cost with the largest catalogue at most ${GROWTH_TARGET} x the cost with the smallest.`,
    '',
    table(
      [
        'database',
        'listings in the catalogue',
        'products',
        'flood',
        'wall ms/listing',
        'CPU ms/listing (process)',
        'CPU ms/listing (server)',
        'CPU ms/listing (all)',
      ],
      s.runs.flatMap((run) =>
        run.points.map((p) => [
          databaseLabel(run.database),
          num(p.catalogue_listings, 0),
          num(p.products, 0),
          p.window,
          num(p.wall_ms_per_listing),
          num(p.cpu_ms_per_listing.process),
          run.database === 'postgresql' ? num(p.cpu_ms_per_listing.database_server) : '-',
          num(p.cpu_ms_per_listing.total),
        ]),
      ),
    ),
    '',
  ];
  for (const run of s.runs) {
    const first = run.points[0];
    const last = run.points.at(-1);
    if (!first || !last) continue;
    const met = run.cpu_ratio <= GROWTH_TARGET;
    out.push(
      `On ${databaseLabel(run.database)}, a listing into ${num(last.catalogue_listings, 0)} listings cost **${run.cpu_ratio} x** the CPU ` +
        `of one into ${num(first.catalogue_listings, 0)} (wall time ${run.wall_ratio} x): ${met ? 'within' : 'above'} the target of ${GROWTH_TARGET} x.`,
      '',
    );
  }
  return out;
}

/** "A long steady load on Kafka": the soak suite. */
export function soakSection(s: NonNullable<Suites['soak']>): string[] {
  const out = [
    '<a id="soak"></a>',
    '## A long steady load on Kafka',
    '',
    "The enricher and cataloger in one process on librdkafka's mock cluster (8 partitions): a flood to measure capacity, then half of it for the minutes below. " +
      `Target: listings in flight stay flat (no sample above three times the first samples' backlog plus ten) and p95 publish-to-cataloged latency at most ${num(SOAK_P95_TARGET_MS, 0)} ms.`,
    '',
    table(
      [
        'run',
        'capacity listings/s',
        'load',
        'cataloged/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'most in flight',
        'verdict',
      ],
      s.runs.map((b) => {
        const flat = backlogVerdict(b.samples).kind === 'flat';
        const fast = b.latency_ms.p95 <= SOAK_P95_TARGET_MS;
        return [
          runLabel(b),
          num(b.capacity_per_s),
          `${num(b.rate_per_s)}/s for ${b.minutes} min`,
          num(b.throughput_per_s),
          num(b.latency_ms.p50, 0),
          num(b.latency_ms.p95, 0),
          num(b.latency_ms.p99, 0),
          b.max_in_flight,
          `${flat ? 'flat' : 'not flat'}, p95 ${fast ? 'within' : 'above'} target`,
        ];
      }),
    ),
    '',
    ...s.runs.flatMap((b) => [backlogSentence(runLabel(b), b.samples), '']),
    ...mockWaitSentence(s.runs),
    ...s.runs.map(
      (b) => `![lag and latency over time, ${runLabel(b)}, ${b.minutes} min](${soakChartFile(b, true)})`,
    ),
    '',
  ];
  return out;
}
