import type { Command } from 'commander';
import { registerShutdown } from '../../../shared/lifecycle/shutdown.ts';
import { startSystem } from '../../system/system.ts';
import { runCommand } from '../command-runtime.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('start grokcat on the configured (by default embedded) database and bus; stop with Ctrl-C')
    .action(
      runCommand(async ({ config, log }) => {
        const system = await startSystem({ config, log });
        registerShutdown(() => system.stop(), { log, timeoutMs: config.shutdownTimeoutMs });
        log.info({ pid: process.pid }, 'grokcat is running: press Ctrl-C to stop');
        // The open database keeps the process alive until the shutdown handler exits it.
        await new Promise<never>(() => {});
      }),
    );
}
