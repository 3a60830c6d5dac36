import type { Bus } from '../../shared/bus/bus.ts';
import { openBus, openCodec } from '../../shared/bus/open-bus.ts';
import { topicPlan } from '../../shared/bus/topic-plan.ts';
import type { Config } from '../../shared/config/load-config.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { ensureServingModel } from '../../shared/model/model-registry.repository.ts';
import { createModelRuntime, type ModelRuntime, runtimeOptions } from '../../shared/model/model-runtime.ts';
import { startApiService } from '../api/api.service.ts';
import { startCatalogerService } from '../cataloger/cataloger.service.ts';
import { startEnricherService } from '../enricher/enricher.service.ts';
import { startTrainerService } from '../trainer/trainer.service.ts';
import type { Trainer } from '../trainer/trainer.ts';

export const SERVICE_NAMES = ['trainer', 'cataloger', 'enricher', 'api'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface System {
  readonly database: Database;
  readonly bus: Bus;
  /** Null when this process does not run the trainer. */
  readonly trainer: Trainer | null;
  /** Where the API and console answer; null when started without them. */
  readonly apiUrl: string | null;
  stop(): Promise<void>;
}

/**
 * Everything `grokcat start` runs in one process on the embedded defaults: the database, migrated,
 * the bus with every topic, the trainer, the enricher, the cataloger and the api; the api and the
 * enricher stop first, so nothing new enters while the others finish their batches.
 */
export async function startSystem({
  config,
  log,
  api = true,
  services = SERVICE_NAMES,
}: {
  config: Config;
  log: Logger;
  api?: boolean;
  /** Which services this process runs (`grokcat start --services`): one per process scales them apart. */
  services?: readonly ServiceName[];
}): Promise<System> {
  const runs = (name: ServiceName) => services.includes(name) && (name !== 'api' || api);
  // What has started, stopped in reverse order: on shutdown, and when a later step fails to start
  // (a busy port must not leave consumers running in a process that cannot serve).
  const started: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop();
  };
  try {
    const database = await openDatabase(config, { log: log.child({ component: 'db' }) });
    started.push(() => database.close());
    log.info(
      { database: database.kind, location: database.location, home: config.home },
      database.kind === 'embedded'
        ? `embedded database at ${database.location}`
        : `database at ${database.location}`,
    );
    const bus = openBus(config, { database, log });
    started.push(() => bus.close());
    await ensureEmbeddedTopics(bus, config);
    log.info({ bus: bus.kind, brokers: config.bus.kafka?.brokers }, `event bus: ${bus.kind}`);
    const codec = openCodec(config);
    const deps = { config, database, bus, codec, log };
    const trainer = runs('trainer') ? await startTrainerService(deps) : null;
    if (trainer) started.push(() => trainer.stop());
    const cataloger = runs('cataloger') ? await startCatalogerService(deps) : null;
    if (cataloger) started.push(() => cataloger.stop());
    const enricher = runs('enricher') ? await startEnricherService(deps) : null;
    if (enricher) started.push(() => enricher.stop());
    let http: { url: string; stop(): Promise<void> } | null = null;
    if (runs('api')) {
      // The api shares the enricher's model runtime (uploads join its batches), else has its own.
      const runtime = enricher?.runtime ?? (await servingRuntime(config, database, log));
      if (!enricher) started.push(() => runtime.close());
      http = await startApiService({ ...deps, runtime });
      started.push(() => (http as { stop(): Promise<void> }).stop());
    }
    return {
      database,
      bus,
      trainer: trainer?.trainer ?? null,
      apiUrl: http?.url ?? null,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch((stopError) =>
      log.error({ err: stopError }, 'stopping after a failed start failed'),
    );
    throw error;
  }
}

/**
 * Every topic and its dead-letter topic on the embedded bus. Kafka topics are made by
 * `grokcat topics create` (a deployment step with admin rights the services need not have).
 */
export async function ensureEmbeddedTopics(bus: Bus, config: Config): Promise<void> {
  if (bus.kind === 'embedded') await bus.createTopics(topicPlan(config));
}

/** The serving model in a runtime of its own, for an api process that runs no enricher. */
async function servingRuntime(config: Config, database: Database, log: Logger): Promise<ModelRuntime> {
  const files = await ensureServingModel(config, database.knex, log);
  return createModelRuntime(files, runtimeOptions(config), log);
}
