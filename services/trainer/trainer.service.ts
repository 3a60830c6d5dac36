import { type Consumer, startConsumer } from '../../shared/bus/consumer-runtime.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import type { ServiceDependencies } from '../system/service-dependencies.ts';
import { LABEL_TOPICS } from './label-handler.ts';
import { createTrainer, type Trainer } from './trainer.ts';

export const TRAINER_GROUP = 'grokcat-trainer';

/** The trainer consuming the four label topics in its consumer group. */
export async function startTrainerService(
  deps: ServiceDependencies,
): Promise<{ trainer: Trainer; consumer: Consumer; stop(): Promise<void> }> {
  const log = deps.log.child({ service: 'trainer' });
  const trainer = createTrainer({
    config: deps.config,
    database: deps.database,
    publisher: createEventPublisher({ bus: deps.bus, codec: deps.codec }),
    log,
  });
  const consumer = await startConsumer({
    bus: deps.bus,
    codec: deps.codec,
    log,
    group: TRAINER_GROUP,
    topics: Object.keys(LABEL_TOPICS),
    handler: trainer.handleLabels,
    retry: deps.config.consumer.retry,
    maxBatchSize: deps.config.consumer.maxBatch,
    fromBeginning: true,
    heartbeatMs: deps.config.consumer.heartbeatMs,
  });
  // Labels stored before a restart may already be enough for a run.
  void trainer.maybeRetrain();
  return {
    trainer,
    consumer,
    async stop() {
      await consumer.stop();
      await trainer.idle();
    },
  };
}
