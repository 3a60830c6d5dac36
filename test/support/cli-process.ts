import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/grokcat.js', import.meta.url));
export const REPO_ROOT = path.dirname(path.dirname(BIN));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON, for --json commands. */
  json: unknown;
}

/** Runs `grokcat <args>` in a child process to completion. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string = REPO_ROOT,
): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collect(child);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, ...output(), json: lastJsonLine(output().stdout) };
}

/** Starts a long-running `grokcat <args>` and resolves once a stderr/stdout line matches. */
export async function startCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  { cwd = REPO_ROOT, timeoutMs = 60_000 }: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ child: ChildProcess; output: () => { stdout: string; stderr: string } }> {
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collect(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not ready after ${timeoutMs} ms:\n${output().stderr}`)),
      timeoutMs,
    );
    const check = () => {
      const { stdout, stderr } = output();
      if (ready.test(stdout) || ready.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${output().stderr}`));
    });
  });
  return { child, output };
}

export async function waitForExit(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  return { code, signal };
}

function collect(child: ChildProcess): () => { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return () => ({ stdout, stderr });
}

function lastJsonLine(stdout: string): unknown {
  const last = stdout.trimEnd().split('\n').at(-1);
  if (!last) return undefined;
  try {
    return JSON.parse(last);
  } catch {
    return undefined;
  }
}
