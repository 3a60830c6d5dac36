import type { CatalogTransaction, MatchLabel, Neighbour } from '../../shared/catalog/catalog.repository.ts';
import type { Placement } from '../../shared/catalog/listing-placement.ts';
import type { ProductMember } from '../../shared/catalog/member-similarity.ts';
import { fusedSimilarity, titleSimilarity } from '../../shared/catalog/title-similarity.ts';

export interface MatchSettings {
  /**
   * A neighbour at or above it is a match and names its product; the listing joins that product
   * when its mean score over the product's members reaches it too (average linkage).
   */
  threshold: number;
  textWeight: number;
}

/** The configured match settings (the cataloger may calibrate `threshold` from labels). */
export const configuredMatchSettings = (catalog: {
  matchThreshold: number;
  textWeight: number;
}): MatchSettings => ({
  threshold: catalog.matchThreshold,
  textWeight: catalog.textWeight,
});

export interface Scored extends Neighbour {
  text: number;
  fused: number;
}

/** Neighbours scored by fused image and title similarity, best first. */
export function scoreNeighbours(title: string, found: Neighbour[], settings: MatchSettings): Scored[] {
  return found
    .map((n) => {
      const text = titleSimilarity(title, n.title);
      return { ...n, text, fused: fusedSimilarity(n.similarity, text, settings.textWeight) };
    })
    .sort((a, b) => b.fused - a.fused);
}

/** How much more than the threshold a listing must match a second product to merge the two. */
export const MERGE_MARGIN = 0.1;

/** Members of a product a listing is compared with (the most recently enriched). */
export const AGREEMENT_MEMBERS = 50;

/**
 * A listing's agreement with each product: its mean fused score over the product's members
 * (average linkage between the listing and the product), so one look-alike listing no longer
 * pulls it into a product it resembles nowhere else.
 */
export function productAgreement(
  title: string,
  members: ProductMember[],
  settings: MatchSettings,
): Map<number, number> {
  const sums = new Map<number, { total: number; count: number }>();
  for (const member of members) {
    const fused = fusedSimilarity(
      member.similarity,
      titleSimilarity(title, member.title),
      settings.textWeight,
    );
    const sum = sums.get(member.product_id) ?? { total: 0, count: 0 };
    sums.set(member.product_id, { total: sum.total + fused, count: sum.count + 1 });
  }
  return new Map([...sums].map(([product, { total, count }]) => [product, total / count]));
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/** What the batch already knows of a listing and of the catalogue's labels (read once per batch). */
export interface PlacementContext {
  /** The listing's product now (after the batch's earlier merges), or null. */
  current: number | null;
  coverImageId: number | null;
  /** Whether the catalogue has any product-match labels; without any, no label is looked for. */
  anyLabels: boolean;
  /** Product-match labels touching this listing. */
  labels: MatchLabel[];
}

/**
 * Where one listing goes, decided without writing anything: it joins the products of the listings a
 * person confirmed as the same product, and those it agrees with as a whole: a neighbour it matches
 * (fused score at or above the threshold) names a product, and the listing's mean fused score over
 * that product's members must reach the threshold too (average linkage, `productAgreement`). When
 * those are several products, they are merged, a second one only when the listing agrees with it
 * clearly (`MERGE_MARGIN`) and never where a person said two of their listings are different
 * products. A listing that already has a product keeps it (a later model run never undoes a
 * decision, it can only merge more). The caller writes it with `placeListing`.
 */
export async function canonicalize(
  tx: CatalogTransaction,
  listing: {
    id: string;
    title: string;
    category: string;
    space: string;
    embedding: ArrayLike<number>;
  },
  scored: Scored[],
  settings: MatchSettings,
  context: PlacementContext,
): Promise<{ placement: Placement; matchScore: number | null }> {
  const { labels, current } = context;
  const verdict = new Map<string, boolean>(labels.map((l) => [pairKey(l.a, l.b), l.same]));
  const said = (other: string) => verdict.get(pairKey(listing.id, other));
  const matches = scored.filter(
    (n) =>
      n.product_id !== null &&
      said(n.listing_id) !== false &&
      (n.fused >= settings.threshold || said(n.listing_id) === true),
  );
  const confirmed = labels.filter((l) => l.same).map((l) => (l.a === listing.id ? l.b : l.a));
  const confirmedProducts: number[] = [];
  for (const other of confirmed) {
    const product = await tx.productOfListing(other);
    if (product !== null) confirmedProducts.push(product);
  }
  const matched = [...new Set(matches.map((m) => m.product_id as number))];
  const agreement = productAgreement(
    listing.title,
    await tx.memberSimilarities({
      space: listing.space,
      embedding: listing.embedding,
      productIds: matched,
      exclude: listing.id,
      limit: AGREEMENT_MEMBERS,
    }),
    settings,
  );
  const agreed = matched
    .filter((product) => (agreement.get(product) ?? Number.NEGATIVE_INFINITY) >= settings.threshold)
    .sort((a, b) => (agreement.get(b) as number) - (agreement.get(a) as number));
  // Candidates in order of preference: its own product, confirmed ones, then by agreement.
  const candidates = [...new Set([...(current !== null ? [current] : []), ...confirmedProducts, ...agreed])];
  if (candidates.length === 0) {
    return {
      placement: {
        kind: 'new',
        category: listing.category,
        title: listing.title,
        representativeImageId: context.coverImageId,
      },
      matchScore: null,
    };
  }
  const root = candidates[0] as number;
  // Members and their negative labels matter only where a person said two listings differ.
  const members = context.anyLabels ? await tx.members(candidates) : new Map<number, string[]>();
  const negatives = context.anyLabels
    ? (await tx.matchLabels([...members.values()].flat())).filter((l: MatchLabel) => !l.same)
    : [];
  const joined = new Set<string>([listing.id, ...(members.get(root) ?? [])]);
  const merged: number[] = [];
  for (const product of candidates.slice(1)) {
    const theirs = members.get(product) ?? [];
    const blocked = negatives.some(
      (l) => (joined.has(l.a) && theirs.includes(l.b)) || (joined.has(l.b) && theirs.includes(l.a)),
    );
    // Merging two products on one listing's word chains clusters together: the listing must agree
    // with the second product clearly, unless a person confirmed it.
    const clear =
      confirmedProducts.includes(product) ||
      (agreement.get(product) ?? Number.NEGATIVE_INFINITY) >= settings.threshold + MERGE_MARGIN;
    if (blocked || !clear) continue;
    merged.push(product);
    for (const id of theirs) joined.add(id);
  }
  // The listing's agreement with its product; a kept or confirmed product it was not scored with
  // reports its best matching neighbour there.
  const best = matches.find((m) => m.product_id === root || merged.includes(m.product_id as number));
  return {
    placement: { kind: 'join', root, merged },
    matchScore: agreement.get(root) ?? best?.fused ?? null,
  };
}
