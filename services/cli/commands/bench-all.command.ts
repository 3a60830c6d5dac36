import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_DATASETS_DIR } from '../../bench/datasets.ts';
import { rewriteReport, runAllBenchmarks, SUITES } from '../../bench/report/bench-all.ts';
import type { SuiteName } from '../../bench/report/report-types.ts';
import { EXIT, runCommand } from '../command-runtime.ts';

const suiteList = (value: string): SuiteName[] => {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SUITES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(
      `choose from ${SUITES.join(', ')}${unknown.length ? ` (not ${unknown.join(', ')})` : ''}`,
    );
  return names as SuiteName[];
};

/** `grokcat bench all`: every suite, then docs/benchmarks/README.md with its tables and charts. */
export function registerBenchAllCommand(bench: Command): void {
  bench
    .command('all')
    .description(
      'run every benchmark suite (inference, pipeline, vectors, quality, scaling, growth, soak) and write README.md, results.json and SVG charts',
    )
    .option('--out <dir>', 'where the report goes', 'docs/benchmarks')
    .option('--suites <list>', `some suites only (${SUITES.join(',')})`, suiteList, [...SUITES])
    .option('--quick', 'smaller runs: 10k embeddings, fewer listings, no per-dataset training')
    .option('--datasets <dir>', 'labelled photo sets for the quality suite', DEFAULT_DATASETS_DIR)
    .option(
      '--postgres <url>',
      'also run the pipeline, scaling, growth and soak suites on this native PostgreSQL server (a role that may create databases)',
    )
    .option('--rewrite', 'only write README.md and the charts again from the results.json already in --out')
    .option('--json', 'print the results as one JSON line')
    .action(
      runCommand(
        async (
          { config, log, print, setExitCode },
          options: {
            out: string;
            suites: SuiteName[];
            quick?: boolean;
            datasets: string;
            rewrite?: boolean;
            postgres?: string;
          },
        ) => {
          if (options.rewrite) {
            const report = rewriteReport(path.resolve(options.out));
            print(
              { ok: true, out: options.out, rewritten: true },
              `rewrote ${path.join(options.out, 'README.md')} from results.json of ${report.machine.date}`,
            );
            return;
          }
          // Interrupted, the benchmark still takes its child processes down with it (their exit hooks).
          process.once('SIGINT', () => process.exit(130));
          process.once('SIGTERM', () => process.exit(143));
          const out = path.resolve(options.out);
          const started = Date.now();
          const report = await runAllBenchmarks({
            config,
            log: log.child({}, { level: 'warn' }),
            out,
            suites: options.suites,
            quick: options.quick === true,
            command: `grokcat bench all --out ${options.out}${options.quick ? ' --quick' : ''}${
              options.suites.length < SUITES.length ? ` --suites ${options.suites.join(',')}` : ''
            }${options.postgres ? ' --postgres URL' : ''}`,
            datasetsDir: options.datasets,
            postgres: options.postgres ?? null,
            onStep: (suite, step) =>
              process.stderr.write(`[${Math.round((Date.now() - started) / 1000)} s] ${suite}: ${step}\n`),
          });
          if (report.failed.length > 0) setExitCode(EXIT.failed);
          print(
            { ok: report.failed.length === 0, out, ...report },
            [
              `wrote ${path.join(out, 'README.md')} (${Object.keys(report.suites).join(', ')}) in ${Math.round(report.seconds / 60)} min`,
              ...report.failed.map((f) => `failed: ${f.suite}: ${f.error}`),
            ].join('\n'),
          );
          // Done: whatever a suite left open (a pool's idle sockets, a child's pipe) must not hold the process.
          process.exit(report.failed.length > 0 ? EXIT.failed : EXIT.ok);
        },
      ),
    );
}
