import type { Command } from 'commander';
import type { ConsumedEvent, EventHandler } from '../../../shared/bus/consumer-runtime.ts';
import { createEventPublisher } from '../../../shared/bus/event-publisher.ts';
import { openBus, openCodec } from '../../../shared/bus/open-bus.ts';
import { parseReplayPosition, replay } from '../../../shared/bus/replay.ts';
import { openDatabase } from '../../../shared/db/open-database.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { TOPICS } from '../../../shared/events/topics.ts';
import { ensureServingModel } from '../../../shared/model/model-registry.repository.ts';
import { createModelRuntime, runtimeOptions } from '../../../shared/model/model-runtime.ts';
import { topicHandlers } from '../../system/topic-handlers.ts';
import { runCommand } from '../command-runtime.ts';
import { createProgressBar } from '../progress-bar.ts';

interface ReplayOptions {
  topic: string;
  from: string;
  to?: string;
  group?: string;
  republish?: string;
  count?: boolean;
  json?: boolean;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      're-process a range of a topic through the current code and model (resumable: rerun to continue)',
    )
    .requiredOption('--topic <topic>', 'topic to read, e.g. listings.created or listings.created.dlq')
    .requiredOption('--from <position>', 'earliest, latest, an offset (every partition) or an ISO 8601 time')
    .option(
      '--to <position>',
      'end of the range, exclusive (default: the end of the log when the replay starts)',
    )
    .option('--group <group>', 'consumer group keeping the progress (default: derived from topic and range)')
    .option(
      '--republish <topic>',
      'publish every event of the range to this topic (e.g. a dead-letter topic back to its source)',
    )
    .option('--count', 'only decode and count the events of the range')
    .option('--json', 'print the summary as one JSON line')
    .action(
      runCommand(async ({ config, log, print }, options: ReplayOptions) => {
        const from = parseReplayPosition(options.from);
        const to = options.to ? parseReplayPosition(options.to) : 'latest';
        const database = await openDatabase(config, { log });
        const bus = openBus(config, { database, log });
        const codec = openCodec(config);
        const bar = createProgressBar(`replay ${options.topic}`);
        // Backfills of listings and page photos run them through the serving model again.
        const needsModel =
          !options.republish &&
          !options.count &&
          [TOPICS.listingsCreated, TOPICS.photosUploaded].includes(options.topic as never);
        const runtime = needsModel
          ? await createModelRuntime(
              await ensureServingModel(config, database.knex, log),
              runtimeOptions(config),
              log,
            )
          : undefined;
        try {
          let handler: EventHandler;
          let action: string;
          if (options.republish) {
            const target = options.republish;
            const publisher = createEventPublisher({ bus, codec });
            handler = async (events: ConsumedEvent[]) =>
              publisher.publish(events.map((e) => ({ topic: target, key: e.key, value: e.value })));
            action = `republish to ${target}`;
          } else if (options.count) {
            handler = async () => {};
            action = 'count';
          } else {
            const registered = topicHandlers({
              config,
              database,
              bus,
              codec,
              log,
              ...(runtime ? { runtime } : {}),
            })[options.topic];
            if (!registered) {
              throw new GrokcatError(
                'USAGE_INVALID',
                `no service handles ${options.topic}: use --republish <topic> or --count`,
              );
            }
            handler = registered;
            action = `process with the ${options.topic} handler`;
          }
          const summary = await replay({
            bus,
            codec,
            log,
            topic: options.topic,
            from,
            to,
            ...(options.group ? { group: options.group } : {}),
            handler,
            retry: config.consumer.retry,
            maxBatchSize: config.consumer.maxBatch,
            onProgress: ({ done, total }) => bar.update(done, total),
          });
          bar.finish();
          const { partitions, ...rest } = summary;
          print(
            { ok: true, action, ...rest, partitions },
            `${action}: ${summary.events} events from ${summary.topic} in ${(summary.durationMs / 1000).toFixed(1)} s` +
              `${summary.resumed ? ' (resumed)' : ''}; progress kept in group ${summary.group}`,
          );
        } finally {
          await runtime?.close();
          await bus.close();
          await database.close();
        }
      }),
    );
}
