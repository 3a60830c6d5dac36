import { CommanderError } from 'commander';
import { EXIT } from './command-runtime.ts';
import { buildProgram } from './program.ts';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // Commander has printed its message: a wrong command line exits 2, --help and --version 0.
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
