import type { ConsumedEvent, EventHandler } from '../../shared/bus/consumer-runtime.ts';
import { derivedEventId, type EventPublisher } from '../../shared/bus/event-publisher.ts';
import type { ImageRecord, ListingRecord } from '../../shared/catalog/catalog.repository.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import type { ImageRef } from '../../shared/image/image-fetcher.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { postprocess } from '../../shared/model/postprocess.ts';
import { dbWrite, openSpan, withSpan } from '../../shared/telemetry/tracing.ts';
import { type PhotoResult, runListingPhotos } from './listing-photos.ts';
import { type PagePhotoTaggerDeps, tagPagePhoto } from './page-photo-tagger.ts';
import { aggregatePhotos } from './photo-aggregation.ts';

interface ListingCreated {
  event_id: string;
  listing_id: string;
  title: string;
  description: string;
  price: { amount_minor: number | bigint; currency: string } | null;
  seller_id: string | null;
  marketplace_category: string | null;
  condition?: string | null;
  images: ImageRef[];
}

export interface EnricherDeps extends PagePhotoTaggerDeps {
  publisher: EventPublisher;
  log: Logger;
}

/**
 * The enricher: every listing's photos through the one model, aggregated into one enrichment
 * (listings.enriched); every page photo tagged with the catalogue products it shows (photos.tagged).
 * A listing is enriched from the photos that worked, the others recorded with their reasons; one
 * with no usable photo goes to the dead-letter topic. The listing and its photos are written in one
 * transaction per batch before anything is published, so a redelivery rewrites the same rows and
 * republishes the same event ids.
 */
export function createEnricher(deps: EnricherDeps): {
  handleListings: EventHandler;
  handlePhotos: EventHandler;
} {
  const handleListings: EventHandler = async (events, ctx) => {
    const done = await Promise.all(
      events.map(async (event) => {
        const listing = event.value as unknown as ListingCreated;
        const { results, files } = await withSpan(
          'enrich listing',
          { 'grokcat.listing.id': listing.listing_id, 'grokcat.listing.photos': listing.images.length },
          async (span) => {
            const photos = await runListingPhotos(deps, listing.images);
            span.setAttribute('grokcat.listing.photos_used', photos.results.filter((r) => r.outputs).length);
            return photos;
          },
          event.traceContext,
        );
        return { event, listing, results, files };
      }),
    );
    const enriched = done.filter((d) => {
      if (d.files) return true;
      const reasons = d.results.map((r) => `photo ${r.image.position + 1}: ${r.image.error_message}`);
      ctx.deadLetter(
        d.event,
        new GrokcatError(
          'LISTING_NO_USABLE_IMAGE',
          d.listing.images.length === 0
            ? `listing ${d.listing.listing_id} has no photos`
            : `listing ${d.listing.listing_id}: no photo could be used (${reasons.join('; ')})`,
        ),
      );
      return false;
    });
    if (enriched.length === 0) return;
    // One write for the batch; each listing's trace gets its own span of it.
    const spans = enriched.map(({ event, listing }) =>
      openSpan(
        'write listing',
        {
          ...dbWrite(['listings', 'listing_images']),
          'grokcat.listing.id': listing.listing_id,
          'grokcat.batch.listings': enriched.length,
        },
        event.traceContext,
      ),
    );
    try {
      await deps.catalog.transaction((tx) =>
        tx.writeListings(
          enriched.map(({ event, listing, results }) => listingRecord(event, listing, results)),
        ),
      );
      for (const span of spans) span.end();
    } catch (error) {
      for (const span of spans) span.end(error);
      throw error;
    }
    await deps.publisher.publish(
      enriched.map(({ event, listing, results, files }) => {
        const card = (files as NonNullable<typeof files>).card;
        const version = (files as NonNullable<typeof files>).version;
        const prediction = postprocess(
          card,
          aggregatePhotos(results.flatMap((r) => (r.outputs ? [r.outputs] : []))),
        );
        return {
          topic: TOPICS.listingsEnriched,
          key: listing.listing_id,
          traceContext: event.traceContext,
          value: {
            event_id: derivedEventId(TOPICS.listingsEnriched, event.eventId, version),
            occurred_at: Date.now(),
            listing_id: listing.listing_id,
            source_event_id: event.eventId,
            model_version: version,
            category: prediction.category,
            known: prediction.known,
            novelty: prediction.novelty,
            top_categories: prediction.top_categories,
            attributes: prediction.attributes,
            queries: prediction.queries,
            embedding: prediction.embedding,
            images_used: results.filter((r) => r.outputs).length,
            image_failures: results
              .filter((r) => !r.outputs)
              .map((r) => ({
                uri: r.image.ref,
                code: r.image.error_code ?? '',
                reason: r.image.error_message ?? '',
              })),
            title: listing.title,
            price: listing.price,
          },
        };
      }),
    );
    ctx.log.debug({ events: events.length, enriched: enriched.length }, 'enriched listings');
  };

  const handlePhotos: EventHandler = async (events, ctx) => {
    const tagged = await Promise.all(events.map((event) => tagPagePhoto(deps, event as ConsumedEvent, ctx)));
    const ok = tagged.filter((t) => t !== null);
    if (ok.length > 0) await deps.publisher.publish(ok);
  };

  return { handleListings, handlePhotos };
}

/** A listing and its photos' outcomes as written (a redelivery rewrites the same rows). */
function listingRecord(
  event: ConsumedEvent,
  listing: ListingCreated,
  results: PhotoResult[],
): { listing: ListingRecord; images: ImageRecord[] } {
  return {
    listing: {
      id: listing.listing_id,
      title: listing.title,
      description: listing.description ?? '',
      price: listing.price
        ? { amount_minor: Number(listing.price.amount_minor), currency: listing.price.currency }
        : null,
      seller_id: listing.seller_id ?? null,
      marketplace_category: listing.marketplace_category ?? null,
      condition: listing.condition ?? null,
      source_event_id: event.eventId,
    },
    images: results.map((r) => r.image),
  };
}
