import os from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { openCodec } from '../../../shared/bus/open-bus.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { ensureModel } from '../../../shared/model/model-store.ts';
import type { ExecutionProvider } from '../../../shared/model/onnx-session.ts';
import type { TrunkName } from '../../../shared/model/trunk/nsfwjs-models.ts';
import { type BusBenchResult, benchEmbedded, benchKafka } from '../../bench/bus-bench.ts';
import { DEFAULT_DATASETS_DIR, datasetsAvailable } from '../../bench/datasets.ts';
import { benchPreprocessing, benchProvider } from '../../bench/inference-bench.ts';
import { benchTrunkCuts, NORMALISATIONS } from '../../bench/trunk-bench.ts';
import { runCommand } from '../command-runtime.ts';
import { createProgressBar } from '../progress-bar.ts';
import { registerBenchAllCommand } from './bench-all.command.ts';
import { registerReliabilityBenchCommands } from './bench-reliability.command.ts';

const positive = (value: string) => {
  const n = Number.parseInt(value, 10);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

export function registerBenchCommands(program: Command): void {
  const bench = program.command('bench').description('measure grokcat on this machine');
  registerBenchAllCommand(bench);
  registerReliabilityBenchCommands(bench);
  bench
    .command('bus')
    .description('events/s published and consumed end to end on each bus, with ~1 KB Avro events')
    .option('--events <n>', 'events per bus', positive, 20_000)
    .option('--bytes <n>', 'encoded size of one event', positive, 1024)
    .option(
      '--bus <which>',
      'embedded, kafka or both (kafka: KAFKA_BROKERS, else the librdkafka mock)',
      'both',
    )
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async (
          { config, log, print },
          options: { events: number; bytes: number; bus: string; json?: boolean },
        ) => {
          const codec = openCodec(config);
          const quiet = log.child({}, { level: 'warn' });
          const results: BusBenchResult[] = [];
          const skipped: { bus: string; reason: string }[] = [];
          const progress = (label: string) => {
            const bar = createProgressBar(label);
            return { bar, update: (done: number, total: number) => bar.update(done, total) };
          };
          if (options.bus !== 'kafka') {
            const { bar, update } = progress('embedded bus');
            results.push(await benchEmbedded(config, quiet, codec, options.events, options.bytes, update));
            bar.finish();
          }
          if (options.bus !== 'embedded') {
            const { bar, update } = progress('kafka bus');
            try {
              results.push(await benchKafka(config, quiet, codec, options.events, options.bytes, update));
              bar.finish();
            } catch (error) {
              skipped.push({ bus: 'kafka', reason: (error as Error).message });
            }
          }
          const machine = {
            cores: os.cpus().length,
            cpu: os.cpus()[0]?.model ?? 'unknown',
            node: process.version,
          };
          const human = [
            `machine: ${machine.cores} cores, ${machine.cpu}`,
            ...results.map(
              (r) =>
                `${r.bus.padEnd(34)} publish ${String(r.publish_per_s).padStart(7)}/s  end-to-end ${String(r.end_to_end_per_s).padStart(7)}/s  ` +
                `latency p50 ${r.latency_ms.p50} ms p95 ${r.latency_ms.p95} ms p99 ${r.latency_ms.p99} ms  (${r.events} x ${r.event_bytes} B)`,
            ),
            ...skipped.map((s) => `${s.bus}: skipped (${s.reason})`),
          ].join('\n');
          print({ ok: true, date: new Date().toISOString(), machine, results, skipped }, human);
        },
      ),
    );

  bench
    .command('trunk')
    .description(
      'which trunk cut gives the best product features: nearest-neighbour accuracy on ../shared/datasets',
    )
    .option('--trunk <name>', 'mobilenet_v2 or inception_v3', 'mobilenet_v2')
    .option('--limit <n>', 'images per dataset and split', positive, 800)
    .option('--datasets <dir>', 'folder of the labelled photo sets', DEFAULT_DATASETS_DIR)
    .option('--normalisation <which>', 'nsfwjs ([0,1]), imagenet ([-1,1]) or both', 'both')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async (
          { log, print },
          options: { trunk: string; limit: number; datasets: string; normalisation: string },
        ) => {
          if (!datasetsAvailable(options.datasets)) {
            throw new GrokcatError(
              'USAGE_INVALID',
              `no datasets at ${options.datasets}: this benchmark needs the labelled photo sets`,
            );
          }
          const normalisations = (Object.keys(NORMALISATIONS) as (keyof typeof NORMALISATIONS)[]).filter(
            (name) => options.normalisation === 'both' || name.startsWith(options.normalisation),
          );
          const bar = createProgressBar('trunk cuts');
          const report = await benchTrunkCuts({
            onProgress: bar.update,
            trunk: options.trunk as TrunkName,
            limit: options.limit,
            datasetsDir: options.datasets,
            log,
            normalisations,
          });
          bar.finish();
          const lines = report.results.map(
            (r) =>
              `${r.normalisation.padEnd(16)} ${r.features.padEnd(42)} ${String(r.dimension).padStart(5)}  ${r.dataset.padEnd(14)} ${r.split.padEnd(5)} ${r.task.padEnd(18)} ${(r.nn_accuracy * 100).toFixed(1)}%`,
          );
          print(
            { ok: true, date: new Date().toISOString(), ...report },
            [
              `${report.trunk}: ${(report.macs / 1e6).toFixed(0)} M multiply-adds, ${report.imagesPerSecond} img/s`,
              ...lines,
            ].join('\n'),
          );
        },
      ),
    );

  bench
    .command('inference')
    .description(
      'img/s of the model runtime vs bare ONNX Runtime at batch 1, 8, 32, preprocessing img/s, GFLOP/s, per provider',
    )
    .option('--providers <list>', 'execution providers to compare', 'cpu,xnnpack')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(async ({ config, log, print }, options: { providers: string }) => {
        const files = await ensureModel(config, log);
        const macs = files.card.trunk.macs_per_image;
        const quiet = log.child({}, { level: 'warn' });
        const providers = options.providers.split(',').map((p) => p.trim()) as ExecutionProvider[];
        const results = [];
        for (const provider of providers) {
          const bar = createProgressBar(`${provider} runs`);
          results.push(await benchProvider(files, provider, config, macs, quiet, bar.update));
          bar.finish();
        }
        const preprocessing = await benchPreprocessing(files, config);
        const best = results
          .filter((r) => !r.error)
          .sort((a, b) => (b.batches.at(-1)?.runtime_img_s ?? 0) - (a.batches.at(-1)?.runtime_img_s ?? 0))[0];
        const machine = {
          cores: os.cpus().length,
          cpu: os.cpus()[0]?.model ?? 'unknown',
          node: process.version,
        };
        const human = [
          `model ${files.version}: ${(macs / 1e6).toFixed(0)} M multiply-adds = ${((2 * macs) / 1e9).toFixed(2)} GFLOP per image; ${machine.cores} cores, ${machine.cpu}`,
          ...results.flatMap((r) =>
            r.error
              ? [`${r.provider}: failed: ${r.error}`]
              : r.batches.map(
                  (b) =>
                    `${r.provider.padEnd(8)} batch ${String(b.batch).padStart(2)}: runtime ${b.runtime_img_s} img/s, bare ${b.bare_img_s} img/s, ratio ${b.ratio}, ${b.gflop_s} GFLOP/s`,
                ),
          ),
          `preprocessing 1024x1024 JPEG: ${preprocessing.toFixed(1)} img/s`,
          `fastest provider at batch 32: ${best?.provider ?? 'none'}`,
        ].join('\n');
        print(
          {
            ok: true,
            date: new Date().toISOString(),
            machine,
            model: files.version,
            macs_per_image: macs,
            gflop_per_image: (2 * macs) / 1e9,
            providers: results,
            preprocessing_img_s: Number(preprocessing.toFixed(1)),
            fastest_provider: best?.provider ?? null,
          },
          human,
        );
      }),
    );
}
