import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { runFaultBench } from '../../bench/faults/fault-bench.ts';
import { runPhotoFloodBench } from '../../bench/photo-flood-bench.ts';
import { runSoakBench } from '../../bench/soak-bench.ts';
import { soakChart } from '../../bench/soak-chart.ts';
import { EXIT, runCommand } from '../command-runtime.ts';
import { createProgressBar } from '../progress-bar.ts';

const positive = (value: string) => {
  const n = Number.parseInt(value, 10);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

const fraction = (value: string) => {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a number in (0, 1]');
  return n;
};

const machine = () => ({
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  node: process.version,
});

/** `grokcat bench faults` and `grokcat bench soak`: what the pipeline survives and how it holds up. */
export function registerReliabilityBenchCommands(bench: Command): void {
  bench
    .command('faults')
    .description(
      'listings through enricher and cataloger processes on the Kafka mock while brokers, requests, processes, the database and image hosts fail; checks nothing is lost or duplicated',
    )
    .option('--listings <n>', 'listings to publish', positive, 5000)
    .option('--rate <n>', 'listings published per second', positive, 40)
    .option('--timeout-min <n>', 'give up waiting for the pipeline after this many minutes', positive, 25)
    .option(
      '--catalogers <n>',
      'cataloger processes sharing the partitions (they race on products)',
      positive,
      2,
    )
    .option(
      '--postgres <url>',
      'a native PostgreSQL server with pgvector (a role that may create databases) instead of PGlite',
    )
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async (
          { config, log, print, setExitCode },
          options: {
            listings: number;
            rate: number;
            timeoutMin: number;
            catalogers: number;
            postgres?: string;
          },
        ) => {
          // Interrupted, the benchmark still takes its processes down with it (their exit hooks).
          process.once('SIGINT', () => process.exit(130));
          process.once('SIGTERM', () => process.exit(143));
          const bar = createProgressBar('listings cataloged');
          const faults: string[] = [];
          const result = await runFaultBench({
            config,
            log: log.child({}, { level: 'warn' }),
            listings: options.listings,
            rate: options.rate,
            timeoutMs: options.timeoutMin * 60_000,
            catalogers: options.catalogers,
            postgres: options.postgres ?? null,
            onProgress: bar.update,
            onFault: (kind) => faults.push(kind),
          });
          bar.finish();
          const ok =
            result.lost === 0 &&
            result.duplicated === 0 &&
            result.wrongly_dead_lettered === 0 &&
            result.order_violations === 0;
          if (!ok) setExitCode(EXIT.failed);
          const human = [
            `${result.events} events (${result.listings} listings) in ${result.duration_s} s, ${result.listings_per_s} listings/s (${result.database}, ${result.catalogers} catalogers)`,
            `faults injected: ${result.faults_injected} (${Object.entries(result.faults)
              .map(([kind, n]) => `${kind} ${n}`)
              .join(', ')})`,
            `lost ${result.lost}, duplicated ${result.duplicated}, order violations ${result.order_violations}, products split ${result.split_products}`,
            `dead-lettered ${result.dead_lettered} of ${result.dead_lettered_expected} bad inputs, ${result.wrongly_dead_lettered} good ones; ${result.dead_letter_redelivered} dead letters redelivered`,
            ...result.split_examples.map((p) => `  split: ${p}`),
            ...result.problems.map((p) => `  problem: ${p}`),
          ].join('\n');
          print({ ok, date: new Date().toISOString(), machine: machine(), ...result }, human);
        },
      ),
    );

  bench
    .command('soak')
    .description(
      'a steady load at half of measured capacity for M minutes: throughput, publish-to-cataloged latency p50/p95/p99, lag and memory over time, with an SVG chart',
    )
    .option('--minutes <n>', 'length of the steady load', positive, 10)
    .option('--load <fraction>', 'share of the measured capacity to publish', fraction, 0.5)
    .option('--rate <n>', 'listings per second instead of measuring capacity first', positive)
    .option('--bus <which>', 'embedded, or kafka (librdkafka mock cluster)', 'embedded')
    .option(
      '--postgres <url>',
      'a native PostgreSQL server with pgvector (a role that may create databases) instead of PGlite',
    )
    .option('--chart <file>', 'where to write the SVG chart', 'grokcat-soak.svg')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async (
          { config, log, print },
          options: {
            minutes: number;
            load: number;
            rate?: number;
            chart: string;
            bus: string;
            postgres?: string;
          },
        ) => {
          if (options.bus !== 'embedded' && options.bus !== 'kafka') {
            throw new GrokcatError('USAGE_INVALID', `--bus ${options.bus}: embedded or kafka`);
          }
          const bar = createProgressBar('soak');
          const result = await runSoakBench({
            config,
            log: log.child({}, { level: 'warn' }),
            minutes: options.minutes,
            load: options.load,
            bus: options.bus,
            postgres: options.postgres ?? null,
            ...(options.rate ? { rate: options.rate } : {}),
            onProgress: bar.update,
          });
          bar.finish();
          const caption = `grokcat bench soak (${result.bus} bus, ${result.database}): ${result.rate_per_s} listings/s for ${result.minutes} min (capacity ${result.capacity_per_s}/s), ${machine().cores} cores, ${machine().cpu}, ${new Date().toISOString().slice(0, 10)}`;
          writeFileSync(options.chart, soakChart(result.samples, caption));
          const human = [
            caption,
            `published ${result.published}, cataloged ${result.cataloged}, ${result.throughput_per_s}/s`,
            `latency p50 ${result.latency_ms.p50} ms, p95 ${result.latency_ms.p95} ms, p99 ${result.latency_ms.p99} ms; most in flight ${result.max_in_flight}`,
            `memory after warm-up ${result.memory.warm_rss_mb} MiB, at the end ${result.memory.end_rss_mb} MiB (${result.memory.growth_percent}%)`,
            `chart: ${options.chart}`,
          ].join('\n');
          print(
            { ok: true, date: new Date().toISOString(), machine: machine(), chart: options.chart, ...result },
            human,
          );
        },
      ),
    );

  bench
    .command('photo-flood')
    .description(
      "a flood of listings with many large photos each (HTTP, 127.0.0.1): the process's peak memory growth against the stated bound of the fetch limits",
    )
    .option('--listings <n>', 'listings in the flood', positive, 60)
    .option('--photos <n>', 'photos per listing (the schema allows 20)', positive, 20)
    .option(
      '--unbounded',
      'lift GROKCAT_IMAGE_FETCH_CONCURRENCY and GROKCAT_IMAGE_MAX_BYTES_IN_FLIGHT, for comparison',
    )
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async (
          { config, log, print },
          options: { listings: number; photos: number; unbounded?: boolean },
        ) => {
          const result = await runPhotoFloodBench({
            config,
            log: log.child({}, { level: 'warn' }),
            listings: options.listings,
            photosPerListing: options.photos,
            unbounded: options.unbounded === true,
          });
          const human = [
            `${result.listings} listings x ${options.photos} photos (${result.photo_bytes_total_mb} MiB of photos), ${result.fetch_concurrency} fetches and ${result.max_bytes_in_flight_mb} MiB in flight at most`,
            `resident memory ${result.baseline_rss_mb} -> peak ${result.peak_rss_mb} MiB: +${result.growth_mb} MiB against a bound of ${result.bound_mb} MiB (${result.within_bound ? 'within' : 'OVER'})`,
            `${result.enriched} enriched in ${result.seconds} s`,
          ].join('\n');
          print(
            { ok: result.within_bound, date: new Date().toISOString(), machine: machine(), ...result },
            human,
          );
          if (!result.within_bound) process.exitCode = EXIT.failed;
        },
      ),
    );
}
