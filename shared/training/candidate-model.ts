import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { type EventPublisher, newEventId } from '../bus/event-publisher.ts';
import { TOPICS } from '../events/topics.ts';
import type { Logger } from '../log/logger.ts';
import { copyDetectorInto } from '../model/detector/detector-import.ts';
import { exportGrokModel } from '../model/grok/export-grok-model.ts';
import { saveHeadWeights } from '../model/grok/head-weights.ts';
import { embeddingSpace, type ModelCard } from '../model/grok/model-card.ts';
import { createModelRegistry, type ModelVersionRow } from '../model/model-registry.repository.ts';
import { type ModelFiles, readModelFolder } from '../model/model-store.ts';
import { GATED_METRICS, gate } from './evaluate-heads.ts';
import type { LabelledDataset } from './labelled-dataset.ts';
import { GEM_P, type ServingHeads, type TrainingRun } from './run-training.ts';

export const newVersionName = (prefix: string) =>
  `${prefix
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}-${new Date()
    .toISOString()
    .replace(/[-:.]/g, '')
    .replace('Z', '')}-${randomBytes(2).toString('hex')}`;

function candidateCard(args: {
  version: string;
  dataset: LabelledDataset;
  run: TrainingRun;
  serving: ServingHeads | null;
  command: string;
}): ModelCard {
  const { dataset, run } = args;
  const attributeGroups = dataset.attributeGroups;
  return {
    format: 'grokcat-model-card/1',
    version: args.version,
    created_at: new Date().toISOString(),
    description: `Heads trained by grokcat on ${dataset.name} over the ${run.extractor.trunk} trunk.`,
    input: {
      name: 'image',
      size: run.extractor.inputSize,
      layout: 'NCHW',
      mean: [0, 0, 0],
      std: [1, 1, 1],
      fit: 'contain',
    },
    outputs: {
      embedding: 'embedding',
      category: 'category',
      attributes: 'attributes',
      queries: 'queries',
      ...(run.heads.novelty ? { novelty: 'novelty' } : {}),
    },
    ...(run.heads.novelty ? { open_set: { method: 'mahalanobis', ...run.openSet } } : {}),
    embedding_dim: run.heads.embedding.outputs,
    // A trained projection starts a new space; a carried-over one keeps the serving model's.
    embedding_space: run.embeddingTrained || !args.serving ? args.version : embeddingSpace(args.serving.card),
    categories: { labels: dataset.categories, calibration: run.calibration },
    attributes: { groups: attributeGroups, thresholds: run.attributeThresholds },
    queries: { vocabulary: dataset.queries, thresholds: run.queryThresholds },
    trunk: { name: run.extractor.trunk, cut: run.extractor.cut, macs_per_image: run.extractor.macs },
    gem_p: GEM_P,
    training: { data: dataset.description, samples: run.trainRows, command: args.command },
    metrics: run.metrics,
    recognises:
      `${dataset.categories.length} categories of ${dataset.name} (${dataset.categories.slice(0, 8).join(', ')}` +
      `${dataset.categories.length > 8 ? ', ...' : ''}), ${attributeGroups.reduce((n, g) => n + g.labels.length, 0)} attribute labels in ` +
      `${attributeGroups.map((g) => g.name).join(', ') || 'no groups'}, ${dataset.queries.length} search queries.`,
    limitations:
      'Linear heads on a frozen trunk (ImageNet MobileNetV2, partly fine-tuned by nsfwjs for another task) with GeM p fixed at 3: ' +
      'fine detail the trunk does not separate cannot be learned. Labels and metrics are those of the training data; photos unlike ' +
      'the training photos are declared unknown (open_set), the others are forced into a known category.',
  };
}

/** Writes a run's model folder (ONNX, card, heads) under GROKCAT_HOME/models and registers it as a candidate. */
export async function writeCandidate(args: {
  home: string;
  knex: Knex;
  dataset: LabelledDataset;
  run: TrainingRun;
  serving: ServingHeads | null;
  parent: string | null;
  command: string;
  prefix: string;
  /** The serving model's detector, which the candidate keeps (page photos are tagged by every version). */
  detector?: ModelFiles['detector'];
}): Promise<ModelFiles> {
  const version = newVersionName(args.prefix);
  const folder = path.join(args.home, 'models', version);
  mkdirSync(folder, { recursive: true });
  const card = candidateCard({ ...args, version });
  const exported = exportGrokModel({
    trunk: args.run.extractor.trunk,
    cut: args.run.extractor.cut,
    heads: args.run.heads,
    metadata: { 'grokcat.version': version },
  });
  writeFileSync(path.join(folder, 'model.onnx.tmp'), exported.bytes);
  saveHeadWeights(path.join(folder, 'heads'), args.run.heads);
  writeFileSync(path.join(folder, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  if (args.detector) copyDetectorInto(path.dirname(args.detector.onnxPath), folder);
  // The ONNX file appears last: a folder with model.onnx is complete.
  renameSync(path.join(folder, 'model.onnx.tmp'), path.join(folder, 'model.onnx'));
  const files = readModelFolder(folder);
  await createModelRegistry(args.knex).register(files, {
    status: 'candidate',
    metrics: card.metrics,
    parent: args.parent,
  });
  return files;
}

/** Tells every enricher to hot-swap: `models.published`, keyed by the version. */
export async function announceServing(
  publisher: EventPublisher,
  current: ModelVersionRow,
  previous: ModelVersionRow | null,
  action: 'PUBLISH' | 'ROLLBACK',
): Promise<void> {
  await publisher.publish([
    {
      topic: TOPICS.modelsPublished,
      key: current.version,
      value: {
        event_id: newEventId(),
        occurred_at: Date.now(),
        version: current.version,
        artifact_uri: current.artifact_uri,
        sha256: current.sha256 ?? '',
        action,
        previous_version: previous?.version ?? null,
        metrics: current.metrics,
      },
    },
  ]);
}

export interface GateDecision {
  pass: boolean;
  published: boolean;
  regressions: { metric: string; candidate: number; serving: number }[];
  /** The candidate does not beat a trivial baseline measured on the same rows (gate refuses). */
  below_baseline: { metric: string; candidate: number; baseline: string; value: number }[];
  serving_version: string | null;
  serving_metrics: Record<string, number> | null;
  /** Where the serving metrics came from: the serving heads on the same evaluation rows, or its stored metrics. */
  compared_with: 'same-rows' | 'stored-metrics' | 'nothing';
  tolerance: number;
  backfill: { required: boolean; embedding_space: string; command?: string };
}

/**
 * The gate: compares the candidate with the serving version (the serving heads on the same
 * evaluation rows when they share the trunk, else the serving version's stored metrics of the same
 * names), then publishes it (serving in Postgres, `models.published`) or records why not.
 */
export async function gateAndPublish(args: {
  knex: Knex;
  candidate: ModelFiles;
  run: TrainingRun;
  tolerance: number;
  publish: boolean;
  publisher: EventPublisher | null;
  log: Logger;
}): Promise<GateDecision> {
  const registry = createModelRegistry(args.knex);
  const serving = await registry.serving();
  const stored = serving
    ? Object.fromEntries(
        GATED_METRICS.filter((m) => serving.metrics[m] !== undefined).map((m) => [
          m,
          serving.metrics[m] as number,
        ]),
      )
    : null;
  const baseline = args.run.servingMetrics ?? (stored && Object.keys(stored).length > 0 ? stored : null);
  const verdict = gate(args.run.metrics, baseline, args.tolerance);
  const space = embeddingSpace(args.candidate.card);
  const backfill =
    serving && embeddingSpace(serving.card) !== space
      ? {
          required: true,
          embedding_space: space,
          command: 'grokcat replay --topic listings.created --from earliest',
        }
      : { required: false, embedding_space: space };
  const decision: GateDecision = {
    pass: verdict.pass,
    published: false,
    regressions: verdict.regressions,
    below_baseline: verdict.below_baseline,
    serving_version: serving?.version ?? null,
    serving_metrics: baseline,
    compared_with: args.run.servingMetrics ? 'same-rows' : baseline ? 'stored-metrics' : 'nothing',
    tolerance: args.tolerance,
    backfill,
  };
  if (!verdict.pass || !args.publish) {
    await registry.recordGate(args.candidate.version, verdict.pass ? 'candidate' : 'rejected', {
      ...decision,
    });
    args.log.warn(
      {
        version: args.candidate.version,
        regressions: verdict.regressions,
        below_baseline: verdict.below_baseline,
      },
      verdict.pass ? 'candidate kept, not published' : 'candidate refused by the gate',
    );
    return decision;
  }
  decision.published = true;
  await registry.recordGate(args.candidate.version, 'candidate', { ...decision });
  const { current, previous } = await registry.publish(args.candidate.version);
  if (args.publisher) await announceServing(args.publisher, current, previous, 'PUBLISH');
  args.log.info(
    { version: current.version, previous: previous?.version, backfill },
    'published a new model version',
  );
  return decision;
}
