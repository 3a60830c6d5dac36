import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '../../../shared/db/open-database.ts';
import {
  type DeadLetterSeen,
  type FaultPlan,
  type FaultVerdict,
  verifyFaultRun,
} from './fault-ground-truth.ts';

/** Time allowed after the last expected row for a late duplicate (a redelivered batch) to show up. */
const SETTLE_MS = 5000;

async function updatesApplied(knex: Knex, plan: FaultPlan): Promise<boolean> {
  const updated = plan.listings.filter((l) => l.update);
  const row = await knex('listings')
    .whereIn(
      ['id', 'title'],
      updated.map((l) => [l.id, l.update?.title as string]),
    )
    .count<{ n: string }[]>({ n: '*' })
    .first();
  return Number(row?.n ?? 0) === updated.length;
}

/**
 * Waits for the pipeline to reach the plan's end state (every good listing cataloged with its last
 * update, every bad input dead-lettered) or the deadline, lets it settle, then checks everything.
 */
export async function verifyUntilSettled(args: {
  knex: Knex;
  plan: FaultPlan;
  deadLetters: DeadLetterSeen[];
  progress: () => Promise<number>;
  deadline: number;
}): Promise<FaultVerdict> {
  const { knex, plan, deadLetters } = args;
  const expectedDead = plan.listings.filter((l) => l.fate === 'dead_letter').length + plan.garbage.length;
  while (Date.now() < args.deadline) {
    const dead = new Set(deadLetters.map((d) => d.origin)).size;
    if (
      (await args.progress()) >= 1 &&
      dead >= expectedDead &&
      (await updatesApplied(knex, plan).catch(() => false))
    )
      break;
    await sleep(500);
  }
  await sleep(SETTLE_MS);
  // The verdict's queries are the driver's own: a timeout there is retried, never reported as a loss.
  for (let attempt = 1; ; attempt++) {
    try {
      return await verifyFaultRun(knex, plan, deadLetters);
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(2000);
    }
  }
}
