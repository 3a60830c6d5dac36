import { Command } from 'commander';
import { type Config, loadConfig } from '../../shared/config/load-config.ts';
import { type GrokcatError, isGrokcatError, toGrokcatError } from '../../shared/errors/error-catalogue.ts';
import { createLogger, type Logger } from '../../shared/log/logger.ts';

export interface CommandContext {
  config: Config;
  log: Logger;
  /** Human text on stdout, or with --json one JSON object as the last line on stdout. */
  print(result: Record<string, unknown>, human: string): void;
  /** For commands that report a failed check without throwing (the report is still printed). */
  setExitCode(code: number): void;
}

export interface OutputOptions {
  json?: boolean;
}

/**
 * Wraps a command's action: loads the configuration (so `--help` works even when it is broken),
 * gives the action a logger and an output helper, and turns any failure into a clear message on
 * stderr, a JSON error line with --json, and a non-zero exit status.
 */
export function runCommand<A extends unknown[]>(
  action: (context: CommandContext, ...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const options = findOptions(args);
    const json = options.json === true;
    const print = (result: Record<string, unknown>, human: string) => {
      process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${human}\n`);
    };
    try {
      const config = loadConfig();
      const log = createLogger(config, { service: 'cli' });
      const setExitCode = (code: number) => {
        process.exitCode = code;
      };
      await action({ config, log, print, setExitCode }, ...args);
    } catch (error) {
      const failure = toGrokcatError(error);
      process.stderr.write(`grokcat: ${failure.code}: ${failure.message}\n`);
      if (!isGrokcatError(error) && error instanceof Error && error.stack) {
        process.stderr.write(`${error.stack}\n`);
      }
      if (json) {
        process.stdout.write(
          `${JSON.stringify({ ok: false, error: { code: failure.code, message: failure.message, retriable: failure.retriable } })}\n`,
        );
      }
      process.exitCode = exitCodeOf(failure);
    }
  };
}

/** Exit statuses: what a script can branch on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 3 } as const;

/** 2: the command line or configuration is wrong; 3: something is unavailable, retry later; 1: the rest. */
export function exitCodeOf(failure: GrokcatError): number {
  if (failure.code === 'USAGE_INVALID' || failure.code === 'CONFIG_INVALID') return EXIT.usage;
  if (failure.retriable || failure.code === 'BUS_UNSUPPORTED') return EXIT.unavailable;
  return EXIT.failed;
}

// commander passes (...positionals, options, command); a subcommand's --json may be parsed by its
// parent (`grokcat eval catalog --json`), so the command's options include its ancestors'.
function findOptions(args: unknown[]): OutputOptions {
  const command = args[args.length - 1];
  if (command instanceof Command) return command.optsWithGlobals() as OutputOptions;
  const candidate = args.length >= 2 ? args[args.length - 2] : undefined;
  return typeof candidate === 'object' && candidate !== null ? (candidate as OutputOptions) : {};
}
