import { readFileSync } from 'node:fs';
import { Command } from 'commander';
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
import { registerTrainCommand } from './commands/train.command.ts';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command('grokcat')
    .description('grokcat: event-driven catalog enrichment with one GrokNet-style model')
    .version(packageJson.version)
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nConfiguration comes from environment variables and grokcat.config.json (see README).\n' +
        'With --json, a command prints one JSON object as the last line on stdout.',
    );
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
  return program;
}
