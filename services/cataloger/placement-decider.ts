import type { CatalogTransaction, MatchLabel } from '../../shared/catalog/catalog.repository.ts';
import type { ListingState } from '../../shared/catalog/listing-placement.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import { canonicalize, type MatchSettings, scoreNeighbours } from './canonicalize.ts';
import type { ListingEnriched } from './cataloged-events.ts';

/** What a batch's transaction knows that placing a listing needs, and the locks it holds. */
export interface PlacementBatch {
  tx: CatalogTransaction;
  labels: { any: boolean; labels: MatchLabel[] };
  /** Products merged earlier in this batch, and the product each went into. */
  mergedInto: Map<number, number>;
  /** Spaces whose placement lock this transaction holds exclusively (it may found products there). */
  creating: Set<string>;
  /** Products whose rows this transaction locked (waits only above the largest). */
  locked: Set<number>;
  /** What this batch's attempts needed: a batch started again takes these locks first. */
  needs: PlacementNeeds;
}

/** The locks a batch needed, kept across its attempts. */
export interface PlacementNeeds {
  creation: Set<string>;
  products: Set<number>;
}

/**
 * Where a listing goes, with the locks its placement needs (`shared/catalog/placement-locks.ts`):
 * a join locks the products it joins or merges and fails with CATALOG_CONFLICT when one was merged
 * meanwhile or is held where waiting could close a cycle; founding a product upgrades the batch's
 * space lock to exclusive and decides again on what the batches before committed. A conflict rolls
 * the batch back; the cataloger starts it again holding what it needed (`PlacementNeeds`) first.
 */
export function placementDecider(deps: { neighbours: number; settings: () => MatchSettings }) {
  /** Where a listing goes on what this transaction sees now: its neighbours, scored, and the decision. */
  const decide = async (batch: PlacementBatch, e: ListingEnriched, space: string, state: ListingState) => {
    const found = await batch.tx.neighbours({
      space,
      embedding: e.embedding,
      k: deps.neighbours,
      exclude: e.listing_id,
    });
    const scored = scoreNeighbours(e.title, found, deps.settings());
    const decision = await canonicalize(
      batch.tx,
      { id: e.listing_id, title: e.title, category: e.category.label, space, embedding: e.embedding },
      scored,
      deps.settings(),
      {
        current: resolveMerged(batch.mergedInto, state.productId),
        coverImageId: state.coverImageId,
        anyLabels: batch.labels.any,
        labels: batch.labels.labels.filter((l) => l.a === e.listing_id || l.b === e.listing_id),
      },
    );
    return { scored, ...decision };
  };

  /** The locks a decision needs, and the decision made again where they say so. */
  return async (batch: PlacementBatch, e: ListingEnriched, space: string, state: ListingState) => {
    let decision = await decide(batch, e, space, state);
    if (decision.placement.kind === 'new' && !batch.creating.has(space)) {
      batch.needs.creation.add(space);
      // An upgrade of the batch's shared lock: only tried, as two upgraders would wait for each other.
      const got = await batch.tx.lockSpace(space, { exclusive: true, wait: false });
      if (!got) throw conflict(`another cataloger is placing listings in ${space}`);
      batch.creating.add(space);
      // Every batch that overlapped ours has committed: decide again on what they wrote.
      decision = await decide(batch, e, space, state);
    }
    if (decision.placement.kind === 'join') {
      const needed = [decision.placement.root, ...decision.placement.merged].filter(
        (id) => !batch.locked.has(id),
      );
      for (const id of needed) batch.needs.products.add(id);
      // Rows are waited for only above every row held (one global order: no cycle); else only tried.
      let held = Number.NEGATIVE_INFINITY;
      for (const id of batch.locked) held = Math.max(held, id);
      const lock = await batch.tx.lockProducts(needed, { wait: needed.every((id) => id > held) });
      if (lock === 'busy') throw conflict(`product ${needed.join(', ')} is locked by another cataloger`);
      if (lock === 'merged') throw conflict(`product ${needed.join(', ')} was merged by another cataloger`);
      for (const id of needed) batch.locked.add(id);
    }
    return decision;
  };
}

const conflict = (message: string) => new GrokcatError('CATALOG_CONFLICT', message);

/** A listing's product as of now: a product merged earlier in the batch names the one it went into. */
function resolveMerged(mergedInto: Map<number, number>, product: number | null): number | null {
  let current = product;
  for (let hops = 0; current !== null && mergedInto.has(current) && hops < 1000; hops++)
    current = mergedInto.get(current) as number;
  return current;
}
