import os from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { openCodec } from '../../../shared/bus/open-bus.ts';
import { type BusBenchResult, benchEmbedded, benchKafka } from '../../bench/bus-bench.ts';
import { runCommand } from '../command-runtime.ts';

const positive = (value: string) => {
  const n = Number.parseInt(value, 10);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

export function registerBenchCommands(program: Command): void {
  const bench = program.command('bench').description('measure grokcat on this machine');
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
          if (options.bus !== 'kafka')
            results.push(await benchEmbedded(config, quiet, codec, options.events, options.bytes));
          if (options.bus !== 'embedded') {
            try {
              results.push(await benchKafka(config, quiet, codec, options.events, options.bytes));
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
}
