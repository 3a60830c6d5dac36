import type { CatalogTransaction, MatchLabel, Neighbour } from '../../shared/catalog/catalog.repository.ts';
import { fusedSimilarity, titleSimilarity } from '../../shared/catalog/title-similarity.ts';

export interface MatchSettings {
  threshold: number;
  textWeight: number;
}

export interface Canonicalized {
  productId: number;
  newProduct: boolean;
  merged: number[];
  matchScore: number | null;
}

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

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/**
 * Puts one listing in its canonical product: it joins the products of the neighbours it matches
 * (fused score at or above the threshold) and of the listings a person confirmed as the same product;
 * when those are several products, they are merged (union-find: the listing is a transitive match),
 * except where a person said two of their listings are different products. A listing that already
 * has a product keeps it (a later model run never undoes a decision, it can only merge more).
 */
export async function canonicalize(
  tx: CatalogTransaction,
  listing: { id: string; title: string; category: string; modelVersion: string },
  scored: Scored[],
  settings: MatchSettings,
): Promise<Canonicalized> {
  const labels = await tx.matchLabels([listing.id]);
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
  const current = await tx.productOfListing(listing.id);
  // Candidates in order of preference: its own product, confirmed ones, then by match score.
  const candidates = [
    ...new Set([
      ...(current !== null ? [current] : []),
      ...confirmedProducts,
      ...matches.map((m) => m.product_id as number),
    ]),
  ];
  if (candidates.length === 0) {
    const productId = await tx.createProduct({
      category: listing.category,
      title: listing.title,
      representativeImageId: await tx.coverImageId(listing.id),
      modelVersion: listing.modelVersion,
    });
    await tx.assign(listing.id, productId, listing.modelVersion);
    await tx.refreshCounts([productId]);
    return { productId, newProduct: true, merged: [], matchScore: null };
  }
  const members = await tx.members(candidates);
  const negatives = (await tx.matchLabels([...members.values()].flat())).filter((l: MatchLabel) => !l.same);
  const root = candidates[0] as number;
  const joined = new Set<string>([listing.id, ...(members.get(root) ?? [])]);
  const merged: number[] = [];
  for (const product of candidates.slice(1)) {
    const theirs = members.get(product) ?? [];
    const blocked = negatives.some(
      (l) => (joined.has(l.a) && theirs.includes(l.b)) || (joined.has(l.b) && theirs.includes(l.a)),
    );
    // Merging two products on one listing's word chains clusters together (single linkage): the
    // bridge must match the second product clearly, unless a person confirmed it.
    const bridge = Math.max(...matches.filter((m) => m.product_id === product).map((m) => m.fused), -1);
    const clear = confirmedProducts.includes(product) || bridge >= settings.threshold + MERGE_MARGIN;
    if (blocked || !clear) continue;
    merged.push(product);
    for (const id of theirs) joined.add(id);
  }
  await tx.assign(listing.id, root, listing.modelVersion);
  await tx.merge(root, merged);
  await tx.refreshCounts([root, ...merged]);
  const best = matches.find((m) => m.product_id === root || merged.includes(m.product_id as number));
  return { productId: root, newProduct: false, merged, matchScore: best ? best.fused : null };
}
