import type { Knex } from 'knex';
import type { EventPublisher } from '../bus/event-publisher.ts';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { embeddingSpace } from '../model/grok/model-card.ts';
import { createModelRegistry, filesOfVersion } from '../model/model-registry.repository.ts';
import { announceServing } from './candidate-model.ts';

export interface RollbackResult {
  version: string;
  previous_version: string | null;
  /** The embeddings of the two versions are in different spaces: listings need re-enriching. */
  backfill_required: boolean;
}

/**
 * Serves an earlier model version again (CLI `model rollback`, API, console): checks its artifact,
 * flips the serving row and announces it on models.published, so every enricher hot-swaps.
 * A version the gate refused needs `force`.
 */
export async function rollbackModel(args: {
  knex: Knex;
  publisher: EventPublisher;
  version: string;
  force?: boolean;
}): Promise<RollbackResult> {
  const registry = createModelRegistry(args.knex);
  const target = await registry.get(args.version);
  if (!target) {
    throw new GrokcatError('MODEL_NOT_FOUND', `no model version ${args.version} (see grokcat model list)`);
  }
  if (target.status === 'rejected' && !args.force) {
    throw new GrokcatError(
      'USAGE_INVALID',
      `${args.version} was refused by the gate: force it to serve it anyway (CLI --force, API {"force": true})`,
    );
  }
  filesOfVersion(target); // refuses a missing or altered artifact before anything changes
  const { current, previous } = await registry.publish(args.version);
  if (previous?.version !== current.version) {
    await announceServing(args.publisher, current, previous, 'ROLLBACK');
  }
  return {
    version: current.version,
    previous_version: previous?.version ?? null,
    backfill_required: previous !== null && embeddingSpace(previous.card) !== embeddingSpace(current.card),
  };
}
