import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../../../shared/config/load-config.ts';
import { openDatabase } from '../../../shared/db/open-database.ts';
import type { Logger } from '../../../shared/log/logger.ts';
import { createModelRuntime, runtimeOptions } from '../../../shared/model/model-runtime.ts';
import { ensureModel } from '../../../shared/model/model-store.ts';
import { benchDetector, benchPreprocessing, benchProvider } from '../inference-bench.ts';
import { runSoakBench } from '../soak-bench.ts';
import { benchmarkReadme, reportCharts } from './benchmark-report.ts';
import { benchImages, fashionEmbeddings } from './fm-embeddings.ts';
import { benchGrowth } from './growth-bench.ts';
import { machineInfo } from './machine-info.ts';
import { benchMatmul } from './matmul-bench.ts';
import { measurePipelineParts } from './pipeline-parts.ts';
import { benchQuality } from './quality-bench.ts';
import { type BenchReport, databaseLabel, type SuiteName } from './report-types.ts';
import { benchScaling } from './scaling-bench.ts';
import { benchVectors } from './vector-bench.ts';

export const SUITES: readonly SuiteName[] = [
  'inference',
  'pipeline',
  'vectors',
  'quality',
  'scaling',
  'growth',
  'soak',
];

/** A run's database in progress lines: a native server when its URL is given, else PGlite. */
const databaseOf = (postgres: string | null) => databaseLabel(postgres ? 'postgresql' : 'pglite');

export interface BenchAllOptions {
  /** The caller's configuration: which model to measure, the datasets folder. */
  config: Config;
  log: Logger;
  out: string;
  suites: readonly SuiteName[];
  /** Smaller runs (10k embeddings, fewer listings, no dataset training): minutes, not the better part of an hour. */
  quick: boolean;
  datasetsDir: string;
  /** A native PostgreSQL server (URL of a role that may create databases): pipeline, scaling, growth and soak also run on it. */
  postgres?: string | null;
  /** The command line as the report states it. */
  command: string;
  onStep?: (suite: string, step: string) => void;
}

/**
 * `grokcat bench all`: every suite in one go, each in a fresh temporary home with the same model,
 * then `results.json`, the charts and `README.md` under `out`. A suite that fails is reported as
 * failed with its error; the others still run.
 */
export async function runAllBenchmarks(options: BenchAllOptions): Promise<BenchReport> {
  const { log, quick } = options;
  const started = Date.now();
  const machine = machineInfo();
  const model = await ensureModel(options.config, log);
  const modelDir = path.dirname(model.onnxPath);
  const cacheDir = path.join(options.config.home, 'bench-cache');
  const report: BenchReport = {
    machine,
    quick,
    command: options.command,
    model: { version: model.version, macs_per_image: model.card.trunk.macs_per_image },
    suites: {},
    failed: [],
    seconds: 0,
  };
  // Each suite gets a home of its own: an empty catalogue, the same model files.
  const freshConfig = (home: string, extra: Record<string, string> = {}) =>
    loadConfig({
      env: { GROKCAT_HOME: home, GROKCAT_MODEL: modelDir, GROKCAT_HTTP_PORT: '0', ...extra },
      cwd: home,
    });
  const step = (suite: string) => (what: string) => options.onStep?.(suite, what);
  const suite = async <T>(name: SuiteName, run: (home: string) => Promise<T>) => {
    if (!options.suites.includes(name)) return;
    const home = mkdtempSync(path.join(os.tmpdir(), `grokcat-bench-${name}-`));
    const t0 = Date.now();
    try {
      const result = await run(home);
      (report.suites as Record<string, unknown>)[name] = {
        ...result,
        seconds: Math.round((Date.now() - t0) / 1000),
      };
    } catch (error) {
      log.error({ err: error, suite: name }, 'benchmark suite failed');
      report.failed.push({ suite: name, error: (error as Error).message });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };

  await suite('inference', async () => {
    const config = options.config;
    const s = step('inference');
    s('matrix multiply ceiling');
    const matmul = await benchMatmul(config);
    const providers = [];
    for (const provider of ['cpu', 'webgpu'] as const) {
      s(`${provider}: runtime vs bare at batch 1, 8, 32`);
      providers.push(await benchProvider(model, provider, config, model.card.trunk.macs_per_image, log));
    }
    s('preprocessing');
    const preprocessing = await benchPreprocessing(model, config);
    s('page-photo detector');
    const detector = await benchDetector(model, config, log);
    return { matmul, providers, preprocessing_img_s: Number(preprocessing.toFixed(1)), detector };
  });

  await suite('pipeline', async (home) => {
    const s = step('pipeline');
    s('decode and inference alone');
    const parts = await measurePipelineParts(model, freshConfig(home), path.join(home, 'parts'));
    const buses = [];
    // The same runs on PGlite and, when one is given, on a native PostgreSQL: same machine, same hour.
    for (const postgres of [null, ...(options.postgres ? [options.postgres] : [])]) {
      for (const bus of ['embedded', 'kafka'] as const) {
        s(`${bus} bus on ${databaseOf(postgres)}: capacity, then steady load at 50%`);
        const result = await runSoakBench({
          config: options.config,
          log,
          minutes: quick ? 0.75 : 2,
          load: 0.5,
          bus,
          flood: quick ? 200 : 500,
          postgres,
        });
        buses.push(result);
      }
    }
    return { parts, buses };
  });

  await suite('vectors', async (home) => {
    const s = step('vectors');
    const config = freshConfig(home);
    const runtime = await createModelRuntime(model, runtimeOptions(config), log);
    const database = await openDatabase(config, { log });
    try {
      const sizes = quick ? [10_000] : [10_000, 100_000];
      const { pool, queries } = benchImages(Math.max(...sizes));
      s(`embeddings of ${pool.length} Fashion-MNIST images (cached per model version)`);
      const embeddings = await fashionEmbeddings({
        refs: pool,
        runtime,
        cacheDir,
        name: 'pool',
        onProgress: (done, total) => s(`embeddings ${done}/${total}`),
      });
      const queryEmbeddings = await fashionEmbeddings({ refs: queries, runtime, cacheDir, name: 'queries' });
      const scales = [];
      for (const size of sizes) {
        scales.push(
          await benchVectors({
            knex: database.knex,
            embeddings: embeddings.slice(0, size),
            queries: queryEmbeddings,
            onStep: (what) => s(`${size}: ${what}`),
          }),
        );
      }
      return {
        source:
          'Fashion-MNIST images (test, then train, then train mirrored) through the served model; 200 held-out training images as queries',
        scales,
      };
    } finally {
      await runtime.close();
      await database.close();
    }
  });

  await suite('quality', async (home) => {
    const config = freshConfig(home);
    const runtime = await createModelRuntime(model, runtimeOptions(config), log);
    try {
      return await benchQuality({
        config,
        log,
        runtime,
        demoListings: quick ? 150 : 400,
        datasetsDir: options.datasetsDir,
        trainOnDatasets: !quick,
        ...(quick ? { fashionLimit: 2000 } : {}),
        onStep: step('quality'),
      });
    } finally {
      await runtime.close();
    }
  });

  await suite('scaling', async (home) => {
    const runs = [];
    for (const postgres of [null, ...(options.postgres ? [options.postgres] : [])]) {
      for (const enrichers of [1, 2, 4]) {
        const runHome = path.join(home, `${postgres ? 'pg' : 'pglite'}-e${enrichers}`);
        mkdirSync(runHome, { recursive: true });
        runs.push(
          await benchScaling({
            modelDir,
            home: runHome,
            enrichers,
            listings: quick ? 150 : 600,
            postgres,
            log,
            onStep: step(`scaling, ${enrichers} enricher(s) on ${databaseOf(postgres)}`),
          }),
        );
      }
    }
    return { runs };
  });

  await suite('growth', async () => {
    const runs = [];
    for (const postgres of [null, ...(options.postgres ? [options.postgres] : [])]) {
      runs.push(
        await benchGrowth({
          modelDir,
          log,
          sizes: quick ? [200, 1000] : [500, 5000],
          window: quick ? 200 : 500,
          postgres,
          onStep: step(`growth on ${databaseOf(postgres)}`),
        }),
      );
    }
    return { runs };
  });

  await suite('soak', async () => {
    const runs = [];
    for (const postgres of [null, ...(options.postgres ? [options.postgres] : [])]) {
      step('soak')(
        `kafka bus on ${databaseOf(postgres)}: capacity, then half of it for ${quick ? 2 : 10} min`,
      );
      runs.push(
        await runSoakBench({
          config: options.config,
          log,
          minutes: quick ? 2 : 10,
          load: 0.5,
          bus: 'kafka',
          flood: quick ? 200 : 500,
          postgres,
        }),
      );
    }
    return { runs };
  });

  // Figures measured elsewhere (a GPU machine: scripts/gpu-bench/README.md) are kept beside the report.
  const gpuFile = path.join(options.out, 'gpu.json');
  if (existsSync(gpuFile)) report.gpu = JSON.parse(readFileSync(gpuFile, 'utf8'));
  report.seconds = Math.round((Date.now() - started) / 1000);

  mkdirSync(options.out, { recursive: true });
  const merged = mergeIntoEarlier(path.join(options.out, 'results.json'), report, options.suites);
  writeFileSync(path.join(options.out, 'results.json'), `${JSON.stringify(merged, null, 1)}\n`);
  writeReport(options.out, merged);
  return merged;
}

/**
 * Some suites only, into a folder that already holds a full report: the other suites keep their
 * figures and the re-run is recorded beside them (README.md says which suites were re-run, when).
 */
function mergeIntoEarlier(file: string, report: BenchReport, suites: readonly SuiteName[]): BenchReport {
  if (suites.length === SUITES.length || !existsSync(file)) return report;
  const earlier = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  return {
    ...earlier,
    suites: { ...earlier.suites, ...report.suites },
    failed: [...earlier.failed.filter((f) => !suites.includes(f.suite as SuiteName)), ...report.failed],
    reruns: [
      ...(earlier.reruns ?? []),
      { suites: [...suites], date: report.machine.date, command: report.command, model: report.model },
    ],
  };
}

function writeReport(out: string, report: BenchReport): void {
  for (const [file, svg] of Object.entries(reportCharts(report))) writeFileSync(path.join(out, file), svg);
  writeFileSync(path.join(out, 'README.md'), benchmarkReadme(report));
}

/** README.md and the charts written again from `out/results.json` (after the report's wording changed). */
export function rewriteReport(out: string): BenchReport {
  const report = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as BenchReport;
  writeReport(out, report);
  return report;
}
