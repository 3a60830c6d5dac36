import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';

const BIN = fileURLToPath(new URL('../../../bin/grokcat.js', import.meta.url));
const READY = 'grokcat is running';

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** SIGKILL: no shutdown handler runs, whatever batch is in flight is cut off. */
  kill(): Promise<void>;
  /** A fresh process of the same service, resolved once it consumes. */
  restart(): Promise<void>;
  /** SIGTERM and wait: the graceful stop. */
  stop(): Promise<void>;
}

/**
 * One grokcat service in a process of its own (`grokcat start --services <name>`), as a supervisor
 * (systemd, Kubernetes) runs it, so a benchmark can kill it mid-batch and start it again.
 */
export async function startServiceProcess(args: {
  name: string;
  services: string;
  env: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}): Promise<ServiceProcess> {
  let child: ChildProcess;
  const tail: string[] = [];
  const launch = async () => {
    child = spawn(process.execPath, [BIN, 'start', '--services', args.services], {
      env: args.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // A benchmark that dies must not leave its services running.
    const orphan = () => child.kill('SIGKILL');
    process.once('exit', orphan);
    child.once('exit', () => process.removeListener('exit', orphan));
    const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL'); // a process that never became ready must not live on unsupervised
        reject(new GrokcatError('INTERNAL', `${args.name} did not start: ${tail.join('\n')}`));
      }, args.readyTimeoutMs ?? 180_000);
      lines.on('line', (line) => {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (line.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new GrokcatError('INTERNAL', `${args.name} exited with ${code}: ${tail.join('\n')}`));
      });
    });
    await ready;
  };
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  await launch();
  return {
    name: args.name,
    get pid() {
      return child.pid;
    },
    kill: () => kill('SIGKILL'),
    restart: launch,
    stop: () => kill('SIGTERM'),
  };
}
