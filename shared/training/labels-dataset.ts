import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { attributeLabels, type ModelCard } from '../model/grok/model-card.ts';
import { createFeatureCacheRepository } from './feature-cache.repository.ts';
import { attributeKey, type LabelledDataset, type LabelledImage } from './labelled-dataset.ts';
import type { LabelsRepository, StoredLabel } from './labels.repository.ts';

/** A query needs this many clicks before it joins the query vocabulary. */
export const MIN_QUERY_CLICKS = 2;

const bucket = (id: string) => createHash('sha256').update(id).digest().readUInt32BE(0) % 100;

function unionFind() {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const root = find(p);
    parent.set(x, root);
    return root;
  };
  return { find, union: (a: string, b: string) => parent.set(find(a), find(b)) };
}

/**
 * The current truth of the stored labels. Conflict rule: the most recent judgement wins (by the
 * event's occurred_at, then by arrival), per listing or image for a category, per listing, group
 * and label for an attribute, per pair of listings for a product match. Confirmed matches are
 * joined transitively (union-find) into products.
 */
export function resolveLabels(labels: StoredLabel[]) {
  const category = new Map<string, string>();
  const attributes = new Map<string, Map<string, boolean>>();
  const pairs = new Map<string, boolean>();
  const clicks = new Map<string, Map<string, number>>();
  for (const label of labels) {
    const subject = label.listing_id ?? label.image_ref ?? '';
    const p = label.payload;
    if (label.kind === 'category') category.set(subject, String(p.category));
    if (label.kind === 'attributes') {
      const judged = attributes.get(subject) ?? new Map<string, boolean>();
      for (const a of (p.attributes ?? []) as { group: string; label: string; present: boolean }[])
        judged.set(attributeKey(a.group, a.label), a.present);
      attributes.set(subject, judged);
    }
    if (label.kind === 'product_match') {
      const [a, b] = [String(p.listing_id), String(p.other_listing_id)].sort();
      pairs.set(`${a}\u0000${b}`, p.same_product === true);
    }
    if (label.kind === 'query_click') {
      const query = String(p.query).trim().toLowerCase().replace(/\s+/g, ' ');
      const perListing = clicks.get(subject) ?? new Map<string, number>();
      perListing.set(query, (perListing.get(query) ?? 0) + 1);
      clicks.set(subject, perListing);
    }
  }
  const products = unionFind();
  for (const [pair, same] of pairs) {
    const [a, b] = pair.split('\u0000') as [string, string];
    if (same) products.union(a, b);
  }
  return { category, attributes, clicks, product: (listing: string) => products.find(listing), pairs };
}

/**
 * The labelled dataset of the stored labels: every image of a labelled listing that the trainer
 * can read (a `file` reference, or features already cached), with the resolved labels, the
 * serving model's vocabulary extended by the new labels, and a held-out split by product.
 */
export async function labelsDataset(args: {
  knex: Knex;
  labels: LabelsRepository;
  serving: ModelCard;
  extractorId: string;
  evalPercent: number;
}): Promise<{ dataset: LabelledDataset; labelsThrough: number; skippedImages: number }> {
  const stored = await args.labels.all();
  const labelsThrough = stored.reduce((max, l) => Math.max(max, Number(l.id)), 0);
  const truth = resolveLabels(stored);
  const subjects = new Set([...truth.category.keys(), ...truth.attributes.keys(), ...truth.clicks.keys()]);
  for (const pair of truth.pairs.keys()) for (const id of pair.split('\u0000')) subjects.add(id);
  const rows = await args.labels.imagesOf([...subjects], [...subjects]);
  const cached = await createFeatureCacheRepository(args.knex, args.extractorId).getMany(
    rows.map((r) => r.sha256),
  );
  const queryTotals = new Map<string, number>();
  for (const perListing of truth.clicks.values())
    for (const [q, n] of perListing) queryTotals.set(q, (queryTotals.get(q) ?? 0) + n);
  const newQueries = new Set([...queryTotals].filter(([, n]) => n >= MIN_QUERY_CLICKS).map(([q]) => q));
  let skippedImages = 0;
  const photos = new Map<string, number>();
  for (const row of rows) photos.set(row.listing_id, (photos.get(row.listing_id) ?? 0) + 1);
  const matched = new Set(
    [...truth.pairs].filter(([, same]) => same).flatMap(([pair]) => pair.split('\u0000')),
  );
  const images: LabelledImage[] = [];
  for (const row of rows) {
    if (row.ref_kind !== 'file' && !cached.has(row.sha256)) {
      skippedImages += 1;
      continue;
    }
    const subject = truth.category.has(row.ref) || truth.attributes.has(row.ref) ? row.ref : row.listing_id;
    // Product identities come from confirmed matches and from listings with several photos; a
    // lone photo is no product evidence (augmented copies of it taught the embedding nothing
    // useful: retrieval recall fell from 0.22 to 0.15 in test/integration/trainer.test.ts).
    const identified = matched.has(row.listing_id) || (photos.get(row.listing_id) ?? 0) >= 2;
    const product = identified ? truth.product(row.listing_id) : null;
    const judged =
      truth.attributes.get(subject) ?? truth.attributes.get(row.listing_id) ?? new Map<string, boolean>();
    images.push({
      key: row.sha256,
      source: { kind: 'file', path: row.ref_kind === 'file' ? row.ref : '' },
      split: bucket(product ?? row.listing_id) < args.evalPercent ? 'eval' : 'train',
      category: truth.category.get(subject) ?? truth.category.get(row.listing_id) ?? null,
      attributes: [...judged].filter(([, present]) => present).map(([key]) => key),
      queries: [...(truth.clicks.get(row.listing_id) ?? new Map<string, number>()).keys()].filter((q) =>
        newQueries.has(q),
      ),
      product,
      iconic: false,
    });
  }
  const categories = [
    ...new Set([
      ...args.serving.categories.labels,
      ...images.flatMap((i) => (i.category ? [i.category] : [])),
    ]),
  ];
  const servingAttributes = attributeLabels(args.serving);
  const groups = new Map<string, Set<string>>();
  for (const a of servingAttributes) groups.set(a.group, (groups.get(a.group) ?? new Set()).add(a.label));
  for (const key of images.flatMap((i) => i.attributes)) {
    const [group, label] = key.split('=') as [string, string];
    groups.set(group, (groups.get(group) ?? new Set()).add(label));
  }
  return {
    dataset: {
      name: 'labels',
      images,
      categories,
      attributeGroups: [...groups].map(([name, labels]) => ({ name, labels: [...labels] })),
      queries: [...new Set([...args.serving.queries.vocabulary, ...newQueries])],
      description: `labels: ${stored.length} label events on ${images.length} images (${skippedImages} images not readable)`,
    },
    labelsThrough,
    skippedImages,
  };
}
