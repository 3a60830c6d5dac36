import { Command } from 'commander';
import { PACKAGE_VERSION } from '../../shared/config/package-version.ts';
import { registerApiKeyCommands } from './commands/apikey.command.ts';
import { registerBenchCommands } from './commands/bench.command.ts';
import { registerConfigCommand } from './commands/config.command.ts';
import { registerDbCommands } from './commands/db.command.ts';
import { registerDemoCommand } from './commands/demo.command.ts';
import { registerEnrichCommand } from './commands/enrich.command.ts';
import { registerEvalCommand } from './commands/eval.command.ts';
import { registerKafkaMockCommand } from './commands/kafka-mock.command.ts';
import { registerModelCommands } from './commands/model.command.ts';
import { registerReplayCommand } from './commands/replay.command.ts';
import { registerStartCommand } from './commands/start.command.ts';
import { registerTopicsCommands } from './commands/topics.command.ts';
import { registerTrainCommand } from './commands/train.command.ts';

// One example per command, shown by `grokcat --help` (a test checks that every command has one).
export const EXAMPLES = [
  'grokcat start                                   # everything, with the console at http://localhost:8080',
  'grokcat demo --listings 300 --json              # a marketplace with known truth through the pipeline',
  'grokcat enrich photo.jpg --json                 # predictions for image files',
  'grokcat eval --dataset fashion-mnist --json     # a model on the Fashion-MNIST test images',
  'grokcat eval catalog --json                     # canonicalization and price quality of a demo run',
  'grokcat eval reference --json                   # the serving model on real photos: right, or unknown?',
  'grokcat eval search --json                      # visual search on real photos: finds the product?',
  'grokcat train --dataset fashion-mnist           # retrain the heads, gate, publish',
  'grokcat model list                              # versions, status, metrics',
  'grokcat model rollback reference-fmnist-v3      # serve an earlier version again',
  'grokcat model import-trunk                      # convert the nsfwjs trunk to ONNX',
  'grokcat model import-detector                   # convert the NanoDet page-photo detector to ONNX',
  'grokcat model train-reference                   # rebuild the shipped reference heads',
  'grokcat replay --topic listings.created --from earliest --republish listings.created   # backfill',
  'grokcat apikey create --name catalog-team       # an API key, shown once',
  'grokcat apikey list                             # keys, scopes, last use',
  'grokcat apikey revoke 3f9a1c2b                  # stop a key',
  'grokcat bench all --out docs/benchmarks         # every suite: README.md with tables and charts',
  'grokcat bench inference --json                  # img/s at batch 1, 8, 32',
  'grokcat bench bus --events 20000                # events/s on the embedded bus and Kafka',
  'grokcat bench faults --listings 5000 --json     # lost 0, duplicated 0 through injected faults',
  'grokcat bench soak --minutes 10 --json          # latency, lag and memory at half capacity',
  'grokcat bench photo-flood --listings 100 --json # memory under a flood of 20 large photos per listing',
  'grokcat bench trunk --limit 500                 # trunk cuts on ../shared/datasets',
  'grokcat db check --json                         # is the database reachable and migrated',
  'grokcat db migrate                              # apply pending migrations',
  'grokcat db rollback --yes                       # undo the last batch of migrations',
  'grokcat config                                  # the configuration as grokcat sees it',
  'grokcat kafka-mock --topics listings.created:8  # librdkafka mock cluster for local Kafka runs',
  'grokcat topics create                           # every topic and dead-letter topic, partitions and retention from config',
  'grokcat topics list --json                      # topics, partitions, messages retained',
  'grokcat topics dead-letters listings.created    # what was dead-lettered and why',
];

const FOOTER =
  'Configuration comes from environment variables and grokcat.config.json (see README).\n' +
  'With --json, a command prints one JSON object as the last line on stdout; progress goes to stderr.\n' +
  'Exit status: 0 done, 1 failed, 2 wrong command line or configuration, 3 unavailable (retry later).';

export function buildProgram(): Command {
  const program = new Command('grokcat')
    .description('grokcat: event-driven catalog enrichment with one GrokNet-style model')
    .version(PACKAGE_VERSION)
    .showHelpAfterError()
    .exitOverride()
    // Lets a command opt into options before its subcommands only (eval: its --model and a
    // subcommand's --model are different options); the program itself has none but --version.
    .enablePositionalOptions()
    .addHelpText('after', `\nExamples:\n${EXAMPLES.map((line) => `  ${line}`).join('\n')}\n\n${FOOTER}`);
  registerStartCommand(program);
  registerDbCommands(program);
  registerConfigCommand(program);
  registerKafkaMockCommand(program);
  registerReplayCommand(program);
  registerBenchCommands(program);
  registerModelCommands(program);
  registerEnrichCommand(program);
  registerDemoCommand(program);
  registerEvalCommand(program);
  registerTrainCommand(program);
  registerApiKeyCommands(program);
  registerTopicsCommands(program);
  return program;
}
