import type { Command } from 'commander';
import { describeConfig } from '../../../shared/config/load-config.ts';
import { runCommand } from '../command-runtime.ts';

export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description('validate the configuration and print it as grokcat sees it (secrets hidden)')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(async ({ config, print }) => {
        const effective = describeConfig(config);
        print({ ok: true, config: effective }, JSON.stringify(effective, null, 2));
      }),
    );
}
