import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Bus } from '../bus/bus.ts';
import { type Consumer, startConsumer } from '../bus/consumer-runtime.ts';
import type { Config } from '../config/load-config.ts';
import type { EventCodec } from '../events/event-codec.ts';
import { TOPICS } from '../events/topics.ts';
import type { Logger } from '../log/logger.ts';
import { filesOfVersion } from './model-registry.repository.ts';
import type { ModelRuntime } from './model-runtime.ts';

/**
 * Hot swap: follows `models.published` and loads each newly serving version into the runtime
 * (requests in flight finish on the old session). Every watcher has its own consumer group, since
 * every runtime must swap. The artifact's SHA-256 is checked before loading.
 */
export async function watchServingModel(deps: {
  bus: Bus;
  codec: EventCodec;
  runtime: ModelRuntime;
  config: Pick<Config, 'consumer'>;
  log: Logger;
  group?: string;
}): Promise<Consumer> {
  const log = deps.log.child({ component: 'model-watcher' });
  return startConsumer({
    bus: deps.bus,
    codec: deps.codec,
    log,
    // One group per watcher, never shared: two runtimes in one process (an enricher and an api) both swap.
    group: deps.group ?? `grokcat-model-watch-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    topics: [TOPICS.modelsPublished],
    retry: deps.config.consumer.retry,
    fromBeginning: false,
    handler: async (events) => {
      const latest = events[events.length - 1]?.value as
        | { version: string; artifact_uri: string; sha256: string; action: string }
        | undefined;
      if (!latest || latest.version === deps.runtime.version) return;
      const files = filesOfVersion(latest);
      await deps.runtime.swap(files);
      log.info({ version: files.version, action: latest.action }, 'now serving a new model version');
    },
  });
}
