import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { openBus } from '../../../shared/bus/open-bus.ts';
import { ensureTopics, topicPlan } from '../../../shared/bus/topic-plan.ts';
import type { Config } from '../../../shared/config/load-config.ts';
import { type Database, openDatabase } from '../../../shared/db/open-database.ts';
import type { Logger } from '../../../shared/log/logger.ts';
import { runCommand } from '../command-runtime.ts';
import { readDeadLetters } from './dead-letters.ts';

const positive = (value: string) => {
  const n = Number.parseInt(value, 10);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

const hours = (ms: number | null | undefined) =>
  ms === undefined ? 'broker default' : ms === null ? 'forever' : `${ms / 3_600_000} h`;

/** The bus the configuration names; the embedded one needs the database, Kafka does not. */
async function withBus<T>(
  config: Config,
  log: Logger,
  work: (bus: ReturnType<typeof openBus>) => Promise<T>,
): Promise<T> {
  const database: Database | null = config.bus.kafka ? null : await openDatabase(config, { log });
  const bus = openBus(config, { database, log });
  try {
    return await work(bus);
  } finally {
    await bus.close();
    await database?.close();
  }
}

export function registerTopicsCommands(program: Command): void {
  const topics = program.command('topics').description('create and inspect the event topics');

  topics
    .command('create')
    .description(
      'create every topic and dead-letter topic that is missing, with GROKCAT_BUS_PARTITIONS partitions and the configured retention (existing topics are left as they are)',
    )
    .option('--dry-run', 'say what would be created, create nothing')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(async ({ config, log, print }, options: { dryRun?: boolean }) => {
        const plan = topicPlan(config);
        const setup = await withBus(config, log, (bus) => ensureTopics(bus, plan, options.dryRun === true));
        const fewer = setup.existing.filter((t) => t.partitions < t.planned);
        const verb = options.dryRun ? 'would create' : 'created';
        const human = [
          ...setup.created.map(
            (t) =>
              `${verb.padEnd(12)} ${t.topic.padEnd(28)} ${t.partitions} partitions, retention ${hours(t.retentionMs)}`,
          ),
          ...setup.existing.map(
            (t) =>
              `${'exists'.padEnd(12)} ${t.topic.padEnd(28)} ${t.partitions} partitions${
                t.partitions < t.planned ? ` (fewer than the ${t.planned} configured: left as it is)` : ''
              }`,
          ),
        ].join('\n');
        print(
          {
            ok: true,
            bus: config.bus.kafka ? 'kafka' : 'embedded',
            dry_run: options.dryRun === true,
            created: setup.created.map((t) => ({
              topic: t.topic,
              partitions: t.partitions,
              retention_ms: t.retentionMs ?? null,
            })),
            existing: setup.existing.map((t) => ({
              topic: t.topic,
              partitions: t.partitions,
              planned: t.planned,
            })),
            fewer_partitions: fewer.map((t) => t.topic),
          },
          human,
        );
      }),
    );

  topics
    .command('list')
    .description('every topic with its partitions and messages retained (dead-letter topics included)')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(async ({ config, log, print }) => {
        const listed = await withBus(config, log, async (bus) => {
          const all = await bus.listTopics();
          return Promise.all(
            all.map(async (t) => {
              const bounds = await bus.partitionBounds(t.topic);
              const messages = bounds.reduce((sum, b) => sum + (BigInt(b.high) - BigInt(b.low)), 0n);
              return { ...t, messages: Number(messages) };
            }),
          );
        });
        print(
          {
            ok: true,
            topics: listed.map((t) => ({
              topic: t.topic,
              partitions: t.partitions,
              messages: t.messages,
              ...(t.retentionMs === undefined ? {} : { retention_ms: t.retentionMs }),
            })),
          },
          listed
            .map(
              (t) =>
                `${t.topic.padEnd(28)} ${String(t.partitions).padStart(3)} partitions ${String(t.messages).padStart(9)} messages  retention ${hours(t.retentionMs)}`,
            )
            .join('\n'),
        );
      }),
    );

  topics
    .command('dead-letters')
    .argument('<topic>', 'a topic (listings.created) or its dead-letter topic (listings.created.dlq)')
    .description(
      'the messages of a dead-letter topic, newest last: key, error code, reason and where each came from, with counts per code (reads without committing anything)',
    )
    .option('--limit <n>', 'most messages listed', positive, 20)
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(async ({ config, log, print }, topic: string, options: { limit: number }) => {
        const report = await withBus(config, log, (bus) => readDeadLetters(bus, topic, options.limit));
        print(
          { ok: true, ...report },
          [
            `${report.topic}: ${report.total} dead letters (${Object.entries(report.by_code)
              .map(([code, n]) => `${code} ${n}`)
              .join(', ')})`,
            ...report.messages.map(
              (m) =>
                `${m.dead_lettered_at}  ${m.origin.padEnd(24)} ${String(m.key).padEnd(20)} ${m.code}: ${m.reason}`,
            ),
            report.total > 0
              ? `replay after a fix: grokcat replay --topic ${report.topic} --from earliest --republish ${report.source}`
              : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }),
    );
}
