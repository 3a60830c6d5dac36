import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../../shared/config/load-config.ts';
import { openDatabase } from '../../../shared/db/open-database.ts';
import type { Logger } from '../../../shared/log/logger.ts';
import { ensureServingModel } from '../../../shared/model/model-registry.repository.ts';
import { type ModelFiles, readModelFolder } from '../../../shared/model/model-store.ts';

/** `--model VERSION|FOLDER` (a version under GROKCAT_HOME/models, or a folder), else the serving model. */
export async function chosenModel(
  config: Config,
  log: Logger,
  model: string | undefined,
): Promise<ModelFiles> {
  if (model) return readModelFolder(existsSync(model) ? model : path.join(config.home, 'models', model));
  const database = await openDatabase(config, { log });
  try {
    return await ensureServingModel(config, database.knex, log);
  } finally {
    await database.close();
  }
}
