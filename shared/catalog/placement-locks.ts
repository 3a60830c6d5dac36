import type { Knex } from 'knex';

/**
 * The locks that let catalogers place listings in parallel (issue 21) without a race splitting a
 * product or pointing a listing at a product merged away:
 *
 * - every batch holds its embedding space's lock: shared while it only joins existing products,
 *   exclusive once it founds one (`lockSpace`). Joins run side by side; founding waits for no one
 *   but makes sure no other batch is placing listings in the space, then decides again on what they
 *   committed, so of two duplicates arriving together the second sees the first and joins it.
 * - a listing that joins products locks their rows (`lockProducts`) and proceeds only if none was
 *   merged meanwhile; the statement after the lock sees every listing that the previous holder
 *   added, so a merge moves them all. Joins of different products never wait for each other.
 *
 * No cycle of waits can form: the space lock is waited for only at the start of a batch, before any
 * row (a batch that must found upgrades only by trying); rows are waited for only above every id the
 * transaction holds (one global order). Otherwise a lock is only tried, and on failure the batch
 * starts again, taking first what it needed (exclusive space lock, then its rows in id order).
 */

const spaceKey = (space: string) => `grokcat:catalog:${space}`;

/** How a product lock went: all held, one merged away (or gone), or one held by another transaction. */
export type ProductLock = 'locked' | 'merged' | 'busy';

/**
 * Locks the products' rows until the transaction ends, in id order. `wait: false` never waits
 * (NOWAIT): 'busy' when another transaction holds one, and the transaction must then end.
 * 'merged' when one of them was merged into another product (or is gone): a decision made on an
 * older snapshot is stale.
 */
export async function lockProducts(
  trx: Knex.Transaction,
  productIds: number[],
  { wait }: { wait: boolean },
): Promise<ProductLock> {
  const ids = [...new Set(productIds)].sort((a, b) => a - b);
  if (ids.length === 0) return 'locked';
  try {
    const { rows } = await trx.raw(
      `SELECT id FROM products WHERE id = ANY(?::bigint[]) AND merged_into IS NULL ORDER BY id FOR UPDATE${wait ? '' : ' NOWAIT'}`,
      [ids],
    );
    return (rows as unknown[]).length === ids.length ? 'locked' : 'merged';
  } catch (error) {
    if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return 'busy';
    throw error;
  }
}

/** SQLSTATE of NOWAIT finding a row locked. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * The space's placement lock until the transaction ends: shared (joins only) or exclusive (founding
 * products). `wait: false` only tries, false when another transaction holds it in a conflicting
 * mode; a transaction's own shared lock never conflicts with its exclusive request (an upgrade).
 */
export async function lockSpace(
  trx: Knex.Transaction,
  space: string,
  { exclusive, wait }: { exclusive: boolean; wait: boolean },
): Promise<boolean> {
  const fn = `pg_${wait ? '' : 'try_'}advisory_xact_lock${exclusive ? '' : '_shared'}`;
  const { rows } = await trx.raw(`SELECT ${fn}(hashtext(?)) AS got`, [spaceKey(space)]);
  // The waiting functions return void (null); they return only once the lock is held.
  return wait || Boolean((rows as { got: boolean }[])[0]?.got);
}
