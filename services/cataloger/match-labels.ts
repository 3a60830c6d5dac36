import type { EventHandler } from '../../shared/bus/consumer-runtime.ts';
import type { CatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { calibrateThreshold } from '../../shared/catalog/match-metrics.ts';
import { fusedSimilarity, titleSimilarity } from '../../shared/catalog/title-similarity.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import type { LabelsRepository } from '../../shared/training/labels.repository.ts';

interface ProductMatchLabel {
  listing_id: string;
  other_listing_id: string;
  same_product: boolean;
  source: string;
  occurred_at: number;
}

/** Fewest labelled pairs of each outcome before the labels' threshold replaces the configured one. */
export const MIN_LABELS_PER_OUTCOME = 20;

/**
 * A person's product-match judgement applied at once: "same" merges the two listings' products
 * (unless another judgement forbids it), "different" moves the second listing out into a product of
 * its own. The label is stored first (idempotently, as the trainer stores it), so later runs of
 * the cataloger respect it.
 */
export function createMatchLabelHandler(deps: {
  catalog: CatalogRepository;
  labels: LabelsRepository;
}): EventHandler {
  return async (events, ctx) => {
    await deps.catalog.transaction(async (tx) => {
      for (const event of events) {
        const label = event.value as unknown as ProductMatchLabel;
        await deps.labels.store(
          [
            {
              eventId: event.eventId,
              kind: 'product_match',
              listingId: label.listing_id,
              imageRef: null,
              payload: label as unknown as Record<string, unknown>,
              source: label.source,
              occurredAt: new Date(Number(label.occurred_at)),
            },
          ],
          tx.trx,
        );
        const a = await tx.productOfListing(label.listing_id);
        const b = await tx.productOfListing(label.other_listing_id);
        if (a === null || b === null) continue; // applied when the listing is cataloged
        // As a cataloger joining them would (placement-locks.ts): neither merged away meanwhile.
        if ((await tx.lockProducts([a, b], { wait: true })) !== 'locked') {
          throw new GrokcatError('CATALOG_CONFLICT', `product ${a} or ${b} was merged meanwhile`);
        }
        if (label.same_product && a !== b) {
          const members = await tx.members([a, b]);
          const negatives = (await tx.matchLabels([...members.values()].flat())).filter((l) => !l.same);
          const inA = new Set(members.get(a));
          const inB = new Set(members.get(b));
          const blocked = negatives.some(
            (l) => (inA.has(l.a) && inB.has(l.b)) || (inA.has(l.b) && inB.has(l.a)),
          );
          if (blocked) {
            ctx.log.warn(
              { listing: label.listing_id, other: label.other_listing_id },
              'same-product label conflicts with a different-product label: not merged',
            );
            continue;
          }
          const [root, other] = a < b ? [a, b] : [b, a];
          await tx.merge(root, [other]);
          await tx.refreshCounts([root, other]);
        } else if (!label.same_product && a === b) {
          const split = await tx.split(label.other_listing_id);
          await tx.refreshCounts([a, split]);
        }
      }
    });
  };
}

/** The exact-product threshold calibrated from product-match labels in `space`, when there are enough. */
export async function thresholdFromLabels(
  catalog: CatalogRepository,
  space: string,
  textWeight: number,
): Promise<{ threshold: number; f1: number; pairs: number } | null> {
  const pairs = await catalog.labelledPairs(space);
  const positives = pairs.filter((p) => p.same).length;
  if (positives < MIN_LABELS_PER_OUTCOME || pairs.length - positives < MIN_LABELS_PER_OUTCOME) return null;
  return calibrateThreshold(
    pairs.map((p) => ({
      score: fusedSimilarity(p.image, titleSimilarity(p.titleA, p.titleB), textWeight),
      same: p.same,
    })),
  );
}
