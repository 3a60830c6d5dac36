import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { Bus } from '../../shared/bus/bus.ts';
import { createEventPublisher } from '../../shared/bus/event-publisher.ts';
import { openCodec } from '../../shared/bus/open-bus.ts';
import type { Config } from '../../shared/config/load-config.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import { listingValue, type PlannedListing } from './faults/fault-ground-truth.ts';

/** Listings published into a running pipeline and followed to their listings.cataloged events. */
export interface ListingFeed {
  /** Publishes `n` new listings (one photo each, about five listings per photo) at once. */
  publish(n: number): Promise<void>;
  /** Listings published and not yet cataloged. */
  inFlight(): number;
  /** Waits until every listing published so far is cataloged (throws after `timeoutMs`). */
  drained(timeoutMs?: number): Promise<void>;
  /** Publish-to-cataloged times of the listings cataloged since the last call, in ms. */
  takeLatencies(): number[];
  /** Listings published so far. */
  published(): number;
  stop(): Promise<void>;
}

/**
 * A feed of listings for the benchmarks: listing i shows photo `p{photoOf(i)}.png` under
 * `imageRoot` (writeBenchPhotos); listings that show one photo are one product.
 */
export async function openListingFeed(args: {
  bus: Bus;
  config: Config;
  imageRoot: string;
  photos: number;
  /** Listing ids are `${prefix}-${i}`. */
  prefix: string;
  /** Which photo listing i shows (default: i mod photos). */
  photoOf?: (i: number) => number;
}): Promise<ListingFeed> {
  const publisher = createEventPublisher({ bus: args.bus, codec: openCodec(args.config) });
  const sentAt = new Map<string, number>();
  let latencies: number[] = [];
  const subscription = await args.bus.subscribe({
    group: `${args.prefix}-${Date.now()}`,
    topics: [TOPICS.listingsCataloged],
    fromBeginning: true,
    onBatch: async (batch) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const sent = m.key ? sentAt.get(m.key) : undefined;
        if (sent === undefined) continue;
        sentAt.delete(m.key as string);
        latencies.push(now - sent);
      }
      return batch.messages.at(-1)?.offset ?? null;
    },
  });
  let next = 0;
  const listing = (): PlannedListing => {
    const i = next++;
    const photo = args.photoOf ? args.photoOf(i) : i % args.photos;
    return {
      id: `${args.prefix}-${i}`,
      fate: 'cataloged',
      expectedCode: null,
      photos: [{ kind: 'file', name: `p${photo}.png` }],
      title: `${args.prefix} item ${photo} listing ${i}`,
      price: 1000 + photo * 10,
      update: null,
    };
  };
  const uriOf = (photo: PlannedListing['photos'][number]) =>
    pathToFileURL(`${args.imageRoot}/${photo.name}`).href;
  return {
    async publish(n) {
      const batch = Array.from({ length: n }, listing);
      const now = Date.now();
      for (const l of batch) sentAt.set(l.id, now);
      await publisher.publish(
        batch.map((l) => ({
          topic: TOPICS.listingsCreated,
          key: l.id,
          value: listingValue(l, uriOf, 'first'),
        })),
      );
    },
    inFlight: () => sentAt.size,
    async drained(timeoutMs = 30 * 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (sentAt.size > 0) {
        if (Date.now() > deadline)
          throw new Error(`${sentAt.size} listings not cataloged in ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    takeLatencies() {
      const taken = latencies;
      latencies = [];
      return taken;
    },
    published: () => next,
    stop: () => subscription.stop(),
  };
}
