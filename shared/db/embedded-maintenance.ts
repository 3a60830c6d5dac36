import type { Knex } from 'knex';
import type { Logger } from '../log/logger.ts';

/** Small tables rewritten at every offset commit and lease renewal: their dead rows pile up fastest. */
const HOT_TABLES = [
  'bus_group_offsets',
  'bus_partition_owners',
  'bus_group_members',
  'bus_partitions',
  'products',
];

/** Tables whose statistics steer the cataloger's plans: analyzed as soon as they have grown. */
const CATALOGUE_TABLES = ['listings', 'enrichments', 'products', 'listing_images', 'price_suggestions'];

/**
 * Catalogue tables changed by more than PostgreSQL's autovacuum would let pass before analyzing
 * (50 rows + 10 %), so the planner never plans a 5,000-listing catalogue with a 500-listing one's
 * statistics. PGlite flushes its statistics lazily: the flush is forced first.
 */
export async function staleCatalogueTables(knex: Knex): Promise<string[]> {
  await knex.raw('SELECT pg_stat_force_next_flush()');
  const { rows } = await knex.raw<{ rows: { relname: string }[] }>(
    `SELECT relname FROM pg_stat_user_tables
      WHERE relname = ANY(?::text[]) AND n_mod_since_analyze > 50 + 0.1 * n_live_tup
      ORDER BY relname`,
    [CATALOGUE_TABLES],
  );
  return rows.map((r) => r.relname);
}

/**
 * Autovacuum for the embedded database. PGlite runs no background workers, so nothing ever vacuums
 * or analyzes its tables: dead row versions from upserts pile up and the planner has no statistics.
 * Measured on 2 cores, enricher and cataloger in one process, 250 listings at a time: the sixth 250
 * (catalogue 1,250 to 1,500) took 58 s against 12 s for the first; vacuumed, 12-13 s each. Every `intervalMs`
 * the hot bus tables are vacuumed and the catalogue tables that grew are analyzed, and every fourth
 * time the whole database (`VACUUM (ANALYZE)`, which skips pages that have not changed). PGlite runs one statement at a time, so queries wait
 * while it runs: tens of milliseconds on a small catalogue, longer on a large one (logged).
 */
export function startEmbeddedMaintenance(args: {
  knex: Knex;
  log: Logger;
  intervalMs: number;
}): () => Promise<void> {
  const { knex, log, intervalMs } = args;
  let round = 0;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = async () => {
    round += 1;
    const all = round % 4 === 1;
    const started = performance.now();
    try {
      await knex.raw(all ? 'VACUUM (ANALYZE)' : `VACUUM (ANALYZE) ${HOT_TABLES.join(', ')}`);
      const stale = all ? [] : await staleCatalogueTables(knex);
      if (stale.length > 0) await knex.raw(`ANALYZE ${stale.join(', ')}`);
      const ms = Math.round(performance.now() - started);
      log[ms > 1000 ? 'info' : 'debug'](
        { ms, tables: all ? 'all' : HOT_TABLES },
        'vacuumed the embedded database',
      );
    } catch (error) {
      log.warn({ err: error }, 'vacuuming the embedded database failed; trying again later');
    }
  };
  const timer = setInterval(() => {
    if (!stopped) running = running.then(tick);
  }, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
