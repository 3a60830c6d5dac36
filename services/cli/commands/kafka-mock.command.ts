import { createInterface } from 'node:readline';
import { type Command, InvalidArgumentError } from 'commander';
import { topicPlan } from '../../../shared/bus/topic-plan.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { type MockCluster, startMockCluster } from '../../../shared/kafka-mock/librdkafka-mock.ts';
import { registerShutdown } from '../../../shared/lifecycle/shutdown.ts';
import { runCommand } from '../command-runtime.ts';

type ControlRequest = { id: number; op: string; [arg: string]: unknown };

/** `--topics a:8,b:4` into [{ topic: 'a', partitions: 8 }, ...]. */
export function parseTopicSpecs(value: string): { topic: string; partitions: number }[] {
  return value
    .split(',')
    .filter(Boolean)
    .map((spec) => {
      const match = /^([A-Za-z0-9._-]+):(\d+)$/.exec(spec.trim());
      if (!match || Number(match[2]) < 1) throw new InvalidArgumentError(`"${spec}" is not topic:partitions`);
      return { topic: match[1] as string, partitions: Number(match[2]) };
    });
}

function control(cluster: MockCluster, request: ControlRequest): void {
  const num = (name: string) => Number(request[name]);
  switch (request.op) {
    case 'createTopic':
      cluster.createTopic(String(request.topic), num('partitions'));
      return;
    case 'brokerDown':
      cluster.brokerDown(num('broker'));
      return;
    case 'brokerUp':
      cluster.brokerUp(num('broker'));
      return;
    case 'setRtt':
      cluster.setRtt(num('broker'), num('rttMs'));
      return;
    case 'setLeader':
      cluster.setLeader(String(request.topic), num('partition'), num('broker'));
      return;
    case 'pushBrokerRequestErrors':
      cluster.pushBrokerRequestErrors(num('broker'), num('apiKey'), (request.errors as number[]) ?? []);
      return;
    case 'pushRequestErrors':
      cluster.pushRequestErrors(num('apiKey'), (request.errors as number[]) ?? []);
      return;
    default:
      throw new GrokcatError('USAGE_INVALID', `unknown control op "${request.op}"`);
  }
}

export function registerKafkaMockCommand(program: Command): void {
  program
    .command('kafka-mock')
    .description("run librdkafka's mock Kafka cluster (needs librdkafka1) and print its bootstrap servers")
    .option('--brokers <n>', 'number of brokers', (v) => Number.parseInt(v, 10), 3)
    .option('--topics <specs>', 'topics to create, topic:partitions,...', parseTopicSpecs, [])
    .option(
      '--grokcat-topics',
      'create every topic grokcat uses and its .dlq, with GROKCAT_BUS_PARTITIONS partitions (the mock has no CreateTopics, so grokcat topics create cannot)',
    )
    .option(
      '--control',
      'read JSON control requests (broker down/up, request errors...) on stdin, answer on stdout',
    )
    .option('--json', 'print the bootstrap servers as one JSON line')
    .action(
      runCommand(
        async (
          { config, log, print },
          options: {
            brokers: number;
            topics: { topic: string; partitions: number }[];
            grokcatTopics?: boolean;
            control?: boolean;
          },
        ) => {
          const cluster = startMockCluster(options.brokers);
          const topics = [...(options.grokcatTopics ? topicPlan(config) : []), ...options.topics];
          for (const { topic, partitions } of topics) cluster.createTopic(topic, partitions);
          print(
            {
              ok: true,
              bootstrap: cluster.bootstrapServers,
              brokers: options.brokers,
              topics: topics.map(({ topic, partitions }) => ({ topic, partitions })),
            },
            `KAFKA_BROKERS=${cluster.bootstrapServers}`,
          );
          registerShutdown(async () => cluster.destroy(), { log, timeoutMs: config.shutdownTimeoutMs });
          if (options.control) {
            const lines = createInterface({ input: process.stdin });
            lines.on('line', (line) => {
              let request: ControlRequest = { id: -1, op: '' };
              try {
                request = JSON.parse(line) as ControlRequest;
                control(cluster, request);
                process.stdout.write(`${JSON.stringify({ id: request.id, ok: true })}\n`);
              } catch (error) {
                process.stdout.write(
                  `${JSON.stringify({ id: request.id, ok: false, error: (error as Error).message })}\n`,
                );
              }
            });
            // The parent test process is gone: do not outlive it.
            lines.on('close', () => process.kill(process.pid, 'SIGTERM'));
          }
          // The cluster lives on librdkafka's threads, which do not keep Node's event loop alive.
          setInterval(() => {}, 60_000);
          await new Promise<never>(() => {});
        },
      ),
    );
}
