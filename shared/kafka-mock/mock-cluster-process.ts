import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/grokcat.js', import.meta.url));

/** This process's environment without grokcat's variables: the mock needs none of them. */
function mockEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('GROKCAT_') && !name.startsWith('KAFKA_') && name !== 'DATABASE_URL')
      env[name] = value;
  }
  return { ...env, GROKCAT_LOG_LEVEL: 'warn', GROKCAT_LOG_FORMAT: 'json' };
}

export interface KafkaMock {
  bootstrap: string;
  brokers: string[];
  createTopic(topic: string, partitions: number): Promise<void>;
  brokerDown(broker: number): Promise<void>;
  brokerUp(broker: number): Promise<void>;
  setRtt(broker: number, rttMs: number): Promise<void>;
  pushRequestErrors(apiKey: number, errors: number[]): Promise<void>;
  pushBrokerRequestErrors(broker: number, apiKey: number, errors: number[]): Promise<void>;
  setLeader(topic: string, partition: number, broker: number): Promise<void>;
  stop(): Promise<void>;
}

/** Kafka protocol API keys and error codes the fault injections use. */
export const KAFKA_API = { produce: 0, fetch: 1 } as const;
export const KAFKA_ERROR = { notLeaderOrFollower: 6, requestTimedOut: 7, messageTooLarge: 10 } as const;

/**
 * librdkafka's mock cluster in a child process (`grokcat kafka-mock --control`), driven over its
 * stdin: a test can take "the broker" down, or kill it, independently of the consumers.
 */
export async function startMockClusterProcess(brokers = 3): Promise<KafkaMock> {
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'kafka-mock', '--brokers', String(brokers), '--control', '--json'],
    {
      env: mockEnv(),
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  // The cluster must not outlive the process that drives it.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  child.once('exit', () => process.removeListener('exit', orphan));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting = new Map<number, (reply: { ok: boolean; error?: string }) => void>();
  let ready: (bootstrap: string) => void = () => {};
  const started = new Promise<string>((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`kafka-mock exited with ${code}`)));
  });
  lines.on('line', (line) => {
    const message = JSON.parse(line) as { id?: number; ok: boolean; bootstrap?: string; error?: string };
    if (message.bootstrap) ready(message.bootstrap);
    else if (message.id !== undefined) waiting.get(message.id)?.(message);
  });
  const bootstrap = await started;
  let nextId = 1;
  const call = (op: string, args: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (reply) => {
        waiting.delete(id);
        reply.ok ? resolve() : reject(new Error(reply.error));
      });
      child.stdin?.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  return {
    bootstrap,
    brokers: bootstrap.split(','),
    createTopic: (topic, partitions) => call('createTopic', { topic, partitions }),
    brokerDown: (broker) => call('brokerDown', { broker }),
    brokerUp: (broker) => call('brokerUp', { broker }),
    setRtt: (broker, rttMs) => call('setRtt', { broker, rttMs }),
    pushRequestErrors: (apiKey, errors) => call('pushRequestErrors', { apiKey, errors }),
    pushBrokerRequestErrors: (broker, apiKey, errors) =>
      call('pushBrokerRequestErrors', { broker, apiKey, errors }),
    setLeader: (topic, partition, broker) => call('setLeader', { topic, partition, broker }),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
