import { randomBytes } from 'node:crypto';
import { newEventId } from '../../../shared/bus/event-publisher.ts';
import type { Knex } from '../../../shared/db/open-database.ts';

/** What should become of one listing, whatever faults happen on the way. */
export type ListingFate = 'cataloged' | 'dead_letter';

export interface PlannedListing {
  id: string;
  fate: ListingFate;
  /** Why it is expected in the dead-letter topic (a code), for the bad ones. */
  expectedCode: string | null;
  /** Photos in order: a file name under the image root, an image-host URL, or a hanging URL. */
  photos: { kind: 'file' | 'http' | 'hang' | 'broken'; name: string }[];
  title: string;
  price: number;
  /** A later event for the same listing (a new title): the final row must hold it (per-key order). */
  update: { title: string; price: number; afterIndex: number } | null;
}

export interface FaultPlan {
  run: string;
  listings: PlannedListing[];
  /** Bytes that are no event at all, published among the listings: each must be dead-lettered. */
  garbage: { key: string; afterIndex: number }[];
  /** Distinct products drawn for the photos. */
  photoNames: string[];
}

/**
 * The benchmark's ground truth. Most listings are good (a product photo as a file or over HTTP);
 * one in a hundred has only a broken photo and one in 250 only a photo whose host never answers
 * (both truly bad: dead-lettered with the reason); one in twenty is updated later; one raw garbage
 * message per 500 listings.
 */
const DUPLICATES_TOGETHER = 5;

export function planFaultRun(count: number, photoCount: number): FaultPlan {
  const run = randomBytes(3).toString('hex');
  const photoNames = Array.from({ length: photoCount }, (_, i) => `p${i}.png`);
  const listings: PlannedListing[] = [];
  for (let i = 0; i < count; i++) {
    // Listings of one photo arrive together (as a seller's reposts and a shop's variants do), so that two
    // catalogers see duplicates at the same moment: the race that must not split a product.
    const item = Math.floor(i / DUPLICATES_TOGETHER) % photoCount;
    const photo = photoNames[item] as string;
    const id = `fb-${run}-${i}`;
    const bad = i % 100 === 7;
    const hanging = i % 250 === 11;
    const photos: PlannedListing['photos'] = bad
      ? [{ kind: 'broken', name: 'broken.jpg' }]
      : hanging
        ? [{ kind: 'hang', name: photo }]
        : [{ kind: i % 10 === 3 ? 'http' : 'file', name: photo }];
    const price = 1000 + item * 100 + (i % 7) * 10;
    const title = `fault bench item ${item} listing ${i}`;
    listings.push({
      id,
      fate: bad || hanging ? 'dead_letter' : 'cataloged',
      expectedCode: bad || hanging ? 'LISTING_NO_USABLE_IMAGE' : null,
      photos,
      title,
      price,
      update:
        !bad && !hanging && i % 20 === 5
          ? { title: `${title} (updated)`, price: price + 50, afterIndex: Math.min(count - 1, i + 150) }
          : null,
    });
  }
  const garbage = Array.from({ length: Math.max(1, Math.floor(count / 500)) }, (_, j) => ({
    key: `fb-${run}-garbage-${j}`,
    afterIndex: Math.min(count - 1, j * 500 + 250),
  }));
  return { run, listings, garbage, photoNames };
}

/** A listings.created value for a planned listing (or its update). */
export function listingValue(
  listing: PlannedListing,
  uriOf: (photo: PlannedListing['photos'][number]) => string,
  version: 'first' | 'update',
) {
  const title = version === 'update' && listing.update ? listing.update.title : listing.title;
  const price = version === 'update' && listing.update ? listing.update.price : listing.price;
  return {
    event_id: newEventId(),
    occurred_at: Date.now(),
    listing_id: listing.id,
    title,
    description: '',
    price: { amount_minor: price, currency: 'EUR' },
    seller_id: `seller-${listing.id}`,
    marketplace_category: null,
    images: listing.photos.map((photo) => ({ uri: uriOf(photo), inline_bytes: null, content_type: null })),
    seller_attributes: {},
    condition: 'used',
  };
}

export interface DeadLetterSeen {
  key: string | null;
  code: string;
  reason: string;
  /** Where the original message was: one bad input dead-lettered twice shows the same origin twice. */
  origin: string;
}

export interface FaultVerdict {
  lost: number;
  duplicated: number;
  dead_lettered: number;
  dead_lettered_expected: number;
  wrongly_dead_lettered: number;
  dead_letter_redelivered: number;
  order_violations: number;
  /**
   * Photos whose listings ended in more than one product. Listings of one photo are one product
   * (same image, near-identical titles): one cataloger alone never splits them, so a split is a
   * race between catalogers that did not see each other's listings.
   */
  split_products: number;
  /** The first few split photos, named (reported, not counted among the problems: docs/catalog.md). */
  split_examples: string[];
  /** The first few problems, named, so a failure says what went wrong. */
  problems: string[];
}

/** Checks Postgres and the dead-letter topic against the plan. */
export async function verifyFaultRun(
  knex: Knex,
  plan: FaultPlan,
  deadLetters: DeadLetterSeen[],
): Promise<FaultVerdict> {
  const problems: string[] = [];
  const note = (problem: string) => {
    if (problems.length < 20) problems.push(problem);
  };
  const prefix = `fb-${plan.run}-%`;
  const rows = await knex('listings as l')
    .where('l.id', 'like', prefix)
    .select(
      'l.id',
      'l.title',
      'l.product_id',
      knex.raw('(select count(*) from enrichments e where e.listing_id = l.id)::int as enrichments'),
      knex.raw('(select count(*) from listing_images i where i.listing_id = l.id)::int as images'),
      knex.raw('(select count(*) from price_suggestions s where s.listing_id = l.id)::int as prices'),
      knex.raw('(select p.merged_into from products p where p.id = l.product_id) as product_merged_into'),
    );
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  const planned = new Map(plan.listings.map((l) => [l.id, l]));
  let lost = 0;
  let duplicated = 0;
  let orderViolations = 0;
  for (const listing of plan.listings) {
    const row = byId.get(listing.id);
    if (listing.fate === 'dead_letter') {
      if (row?.product_id) note(`${listing.id} should have been refused but was cataloged`);
      continue;
    }
    if (!row || row.enrichments < 1 || !row.product_id || row.prices < 1) {
      lost += 1;
      note(
        `${listing.id} lost: ${row ? `enrichments ${row.enrichments}, product ${row.product_id}, prices ${row.prices}` : 'no row'}`,
      );
      continue;
    }
    if (row.enrichments > 1 || row.images > listing.photos.length || row.prices > 1) {
      duplicated += 1;
      note(
        `${listing.id} duplicated: ${row.enrichments} enrichments, ${row.images} images, ${row.prices} prices`,
      );
    }
    if (row.product_merged_into !== null) {
      duplicated += 1;
      note(`${listing.id} points at merged product ${row.product_id}`);
    }
    const title = listing.update ? listing.update.title : listing.title;
    if (row.title !== title) {
      orderViolations += 1;
      note(`${listing.id} ends with title "${row.title}", expected "${title}"`);
    }
  }
  const productsOfPhoto = new Map<string, Set<string>>();
  for (const listing of plan.listings) {
    const row = byId.get(listing.id);
    const photo = listing.photos[0]?.name;
    if (listing.fate !== 'cataloged' || !row?.product_id || !photo) continue;
    const product = String(row.product_merged_into ?? row.product_id);
    productsOfPhoto.set(photo, (productsOfPhoto.get(photo) ?? new Set()).add(product));
  }
  const splitExamples: string[] = [];
  for (const [photo, products] of productsOfPhoto) {
    if (products.size > 1) splitExamples.push(`${photo} over products ${[...products].join(', ')}`);
  }
  for (const id of byId.keys()) {
    if (!planned.has(id)) {
      duplicated += 1;
      note(`unexpected listing ${id}`);
    }
  }
  // A product a retried batch created twice would be left with no listings and merged into nothing.
  const products = await knex.raw(
    `select p.id, p.listing_count, p.merged_into,
            (select count(*) from listings l where l.product_id = p.id)::int as actual
       from products p
      where exists (select 1 from listings l where l.product_id = p.id and l.id like ?)
         or (p.merged_into is null and not exists (select 1 from listings l where l.product_id = p.id))`,
    [prefix],
  );
  for (const p of products.rows as {
    id: string;
    listing_count: number;
    merged_into: string | null;
    actual: number;
  }[]) {
    if (p.merged_into === null && p.actual === 0) {
      duplicated += 1;
      note(`product ${p.id} has no listings (a duplicate from a retried batch?)`);
    } else if (p.merged_into === null && Number(p.listing_count) !== p.actual) {
      duplicated += 1;
      note(`product ${p.id} counts ${p.listing_count} listings, has ${p.actual}`);
    }
  }

  const expectedDead = new Set([
    ...plan.listings.filter((l) => l.fate === 'dead_letter').map((l) => l.id),
    ...plan.garbage.map((g) => g.key),
  ]);
  const deadKeys = new Set<string>();
  const origins = new Set<string>();
  let redelivered = 0;
  let wrongly = 0;
  for (const dead of deadLetters) {
    const key = dead.key ?? '';
    if (origins.has(dead.origin)) {
      redelivered += 1;
      continue;
    }
    origins.add(dead.origin);
    if (!expectedDead.has(key)) {
      wrongly += 1;
      note(`${key} dead-lettered but is good: ${dead.code} ${dead.reason}`);
      continue;
    }
    const listing = planned.get(key);
    if (listing?.expectedCode && dead.code !== listing.expectedCode) {
      note(`${key} dead-lettered with ${dead.code}, expected ${listing.expectedCode}`);
    }
    deadKeys.add(key);
  }
  for (const key of expectedDead) {
    if (!deadKeys.has(key)) {
      lost += 1;
      note(`${key} is bad but was never dead-lettered`);
    }
  }
  return {
    lost,
    duplicated,
    dead_lettered: deadKeys.size,
    dead_lettered_expected: expectedDead.size,
    wrongly_dead_lettered: wrongly,
    dead_letter_redelivered: redelivered,
    order_violations: orderViolations,
    split_products: splitExamples.length,
    split_examples: splitExamples.slice(0, 5),
    problems,
  };
}

/** Good listings fully cataloged so far (the benchmark's progress). */
export async function catalogedCount(knex: Knex, run: string): Promise<number> {
  const row = await knex('listings as l')
    .where('l.id', 'like', `fb-${run}-%`)
    .whereNotNull('l.product_id')
    .whereExists(knex('price_suggestions as s').whereRaw('s.listing_id = l.id'))
    .count<{ n: string }[]>({ n: '*' })
    .first();
  return Number(row?.n ?? 0);
}
