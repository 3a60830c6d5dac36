import type { Config } from '../../shared/config/load-config.ts';
import { type Database, openDatabase } from '../../shared/db/open-database.ts';
import type { Logger } from '../../shared/log/logger.ts';

export interface System {
  readonly database: Database;
  stop(): Promise<void>;
}

/**
 * Everything `grokcat start` runs in one process on the embedded defaults. For now: the database,
 * migrated. Later services (enricher, cataloger, trainer, api) are started here and stopped in
 * reverse order.
 */
export async function startSystem({ config, log }: { config: Config; log: Logger }): Promise<System> {
  const database = await openDatabase(config, { log: log.child({ component: 'db' }) });
  log.info(
    { database: database.kind, location: database.location, home: config.home },
    database.kind === 'embedded'
      ? `embedded database at ${database.location}`
      : `database at ${database.location}`,
  );
  return {
    database,
    async stop() {
      await database.close();
    },
  };
}
