import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, EXAMPLES } from './program.ts';

function leaves(command: Command, prefix: string[] = []): string[] {
  const children = command.commands.filter((child) => child.name() !== 'help');
  if (children.length === 0) return [prefix.join(' ')];
  // A command with subcommands and an action of its own (eval) is a leaf too.
  const own = (command as unknown as { _actionHandler: unknown })._actionHandler ? [prefix.join(' ')] : [];
  return [...own, ...children.flatMap((child) => leaves(child, [...prefix, child.name()]))];
}

test('grokcat --help shows an example of every command', () => {
  const commands = leaves(buildProgram()).filter(Boolean);
  assert.ok(commands.length >= 20);
  const missing = commands.filter((name) => !EXAMPLES.some((line) => line.startsWith(`grokcat ${name} `)));
  assert.deepEqual(missing, []);
});
