import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import type { Config } from '../config/load-config.ts';
import { GrokcatError } from '../errors/error-catalogue.ts';
import type { Logger } from '../log/logger.ts';
import { type HeadWeights, loadHeadWeights } from './grok/head-weights.ts';
import type { ModelCard } from './grok/model-card.ts';
import { ensureModel, type ModelFiles, readModelFolder } from './model-store.ts';

export type ModelStatus = 'candidate' | 'serving' | 'retired' | 'rejected';

export interface ModelVersionRow {
  version: string;
  status: ModelStatus;
  artifact_uri: string;
  sha256: string | null;
  card: ModelCard;
  metrics: Record<string, number>;
  parent_version: string | null;
  gate: Record<string, unknown> | null;
  created_at: Date;
  published_at: Date | null;
}

/** The model folder of a version row; its ONNX file must still hash to what was registered. */
export function filesOfVersion(
  row: Pick<ModelVersionRow, 'version' | 'artifact_uri' | 'sha256'>,
): ModelFiles {
  if (!row.artifact_uri.startsWith('file:')) {
    throw new GrokcatError(
      'MODEL_INVALID',
      `model ${row.version} lives at ${row.artifact_uri}: only file:// artifacts are served`,
    );
  }
  const files = readModelFolder(path.dirname(fileURLToPath(row.artifact_uri)));
  if (row.sha256 && files.sha256 !== row.sha256) {
    throw new GrokcatError(
      'MODEL_INVALID',
      `model ${row.version}: ${files.onnxPath} has changed since it was registered (sha256 differs)`,
    );
  }
  return files;
}

/** The heads beside a model's ONNX file (`heads.json` + `heads.bin`), when the trainer wrote them. */
export function headsOf(files: ModelFiles): HeadWeights | null {
  const base = path.join(path.dirname(files.onnxPath), 'heads');
  return existsSync(`${base}.json`) ? loadHeadWeights(base) : null;
}

/** Model versions in Postgres: at most one serves; publishing and rolling back flip rows in one transaction. */
export function createModelRegistry(knex: Knex) {
  const table = (trx: Knex | Knex.Transaction = knex) => trx<ModelVersionRow>('model_versions');
  return {
    serving: async () => (await table().where({ status: 'serving' }).first()) ?? null,
    get: async (version: string) => (await table().where({ version }).first()) ?? null,
    list: () => table().orderBy('created_at', 'desc'),

    async register(
      files: ModelFiles,
      fields: { status: ModelStatus; metrics?: Record<string, number>; parent?: string | null },
    ): Promise<void> {
      await table()
        .insert({
          version: files.version,
          status: fields.status,
          artifact_uri: pathToFileURL(files.onnxPath).href,
          sha256: files.sha256,
          card: files.card,
          metrics: fields.metrics ?? files.card.metrics,
          parent_version: fields.parent ?? null,
          ...(fields.status === 'serving' ? { published_at: new Date() } : {}),
        } as Partial<ModelVersionRow>)
        .onConflict('version')
        .ignore();
    },

    /** Makes `version` the serving one; the previous serving version is retired. */
    async publish(version: string): Promise<{ current: ModelVersionRow; previous: ModelVersionRow | null }> {
      return knex.transaction(async (trx) => {
        const current = await table(trx).where({ version }).forUpdate().first();
        if (!current) throw new GrokcatError('MODEL_NOT_FOUND', `no model version ${version}`);
        const previous = (await table(trx).where({ status: 'serving' }).forUpdate().first()) ?? null;
        if (previous?.version === version) return { current, previous };
        if (previous) await table(trx).where({ version: previous.version }).update({ status: 'retired' });
        await table(trx).where({ version }).update({ status: 'serving', published_at: new Date() });
        return { current: { ...current, status: 'serving' }, previous };
      });
    },

    async recordGate(
      version: string,
      status: 'candidate' | 'rejected',
      gate: Record<string, unknown>,
    ): Promise<void> {
      await table()
        .where({ version })
        .update({ status, gate } as Partial<ModelVersionRow>);
    },
  };
}

export type ModelRegistry = ReturnType<typeof createModelRegistry>;

/**
 * The model to serve: GROKCAT_MODEL when set (pinned by the operator); else the serving version in
 * Postgres; else the reference model, assembled and registered as the first serving version.
 */
export async function ensureServingModel(
  config: Pick<Config, 'home' | 'model'>,
  knex: Knex,
  log: Logger,
): Promise<ModelFiles> {
  if (config.model.path) return readModelFolder(config.model.path);
  const registry = createModelRegistry(knex);
  const serving = await registry.serving();
  if (serving) return filesOfVersion(serving);
  const files = await ensureModel(config, log);
  await registry.register(files, { status: 'candidate' });
  await registry.publish(files.version);
  log.info({ version: files.version }, 'registered the reference model as the serving version');
  return files;
}
