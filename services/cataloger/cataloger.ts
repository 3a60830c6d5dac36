import type { ConsumedEvent, EventHandler } from '../../shared/bus/consumer-runtime.ts';
import type { EventPublisher, EventToPublish } from '../../shared/bus/event-publisher.ts';
import type { CatalogRepository, CatalogTransaction } from '../../shared/catalog/catalog.repository.ts';
import type { ListingState } from '../../shared/catalog/listing-placement.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { dbWrite, withSpan } from '../../shared/telemetry/tracing.ts';
import type { MatchSettings } from './canonicalize.ts';
import { catalogedEvents, type ListingEnriched, suggestionRow } from './cataloged-events.ts';
import { type PlacementBatch, type PlacementNeeds, placementDecider } from './placement-decider.ts';
import {
  categoryPriceSamples,
  MAX_PRODUCT_COMPARABLES,
  PRODUCT_PRICE_SAMPLE,
  priceListing,
} from './price-comparables.ts';

type ConditionRatios = Awaited<ReturnType<CatalogTransaction['conditionRatios']>>;
const RATIOS_TTL_MS = 60_000;
/** Attempts of a batch that keeps meeting other catalogers' changes, before the consumer's retry. */
const MAX_CONFLICT_ATTEMPTS = 5;
const SMALL_RATIOS_TTL_MS = 5_000;

export interface CatalogerDeps {
  catalog: CatalogRepository;
  publisher: EventPublisher;
  /** Read per batch: the service may replace the threshold with one calibrated from labels. */
  settings: () => MatchSettings;
  neighbours: number;
  log: Logger;
}

/**
 * The cataloger: each batch of enriched listings in ONE transaction (the enrichment, the canonical
 * product, the price suggestion), then listings.cataloged and prices.suggested with ids derived from
 * the source events. Catalogers run in parallel: a listing locks the products it joins, and founding
 * a product takes its space's lock exclusively and decides again (`placement-locks.ts`), so two
 * catalogers never create two products for duplicates they see at the same moment nor point a
 * listing at a product merged away; a conflict starts the batch again. A listing costs three or four
 * statements (neighbours, members when it matches, the product lock, its write with its product's
 * prices); the rest is read or written once per batch.
 */
export function createCataloger(deps: CatalogerDeps): { handleEnriched: EventHandler } {
  // Condition ratios cost an aggregate over the catalogue: on a large one they move slowly and are
  // refreshed once a minute; on a small one (a new catalogue filling up) every few seconds, cheaply.
  let ratiosCache: { value: ConditionRatios; at: number; listings: number } | null = null;
  const conditionRatios = async (tx: CatalogTransaction): Promise<ConditionRatios> => {
    const age = ratiosCache ? Date.now() - ratiosCache.at : Number.POSITIVE_INFINITY;
    const stale = age > RATIOS_TTL_MS || ((ratiosCache?.listings ?? 0) < 1000 && age > SMALL_RATIOS_TTL_MS);
    if (stale) {
      const value = await tx.conditionRatios();
      ratiosCache = {
        value,
        at: Date.now(),
        listings: [...value.values()].reduce((sum, r) => sum + r.listings, 0),
      };
    }
    return (ratiosCache as { value: ConditionRatios }).value;
  };
  const categorySamples = categoryPriceSamples();
  const decidePlacement = placementDecider({ neighbours: deps.neighbours, settings: deps.settings });
  // A model version's embedding space never changes: read once per version.
  const spaces = new Map<string, string>();
  const spaceOf = async (e: ListingEnriched): Promise<string> => {
    const known = spaces.get(e.model_version);
    if (known) return known;
    const space = await deps.catalog.spaceOf(e.model_version);
    if (!space) {
      throw new GrokcatError(
        'MODEL_NOT_FOUND',
        `listing ${e.listing_id} names unknown model version ${e.model_version}`,
      );
    }
    await deps.catalog.ensureIndex(space, e.embedding.length);
    spaces.set(e.model_version, space);
    return space;
  };

  const handleEnriched: EventHandler = async (events, ctx) => {
    const enriched = events.map((event) => ({ event, e: event.value as unknown as ListingEnriched }));
    for (const { e } of enriched) await spaceOf(e);
    // A conflict with another cataloger rolls the batch back and starts it again, taking first the
    // locks the failed attempt needed (in the one order that cannot deadlock).
    const needs: PlacementNeeds = { creation: new Set(), products: new Set() };
    for (let attempt = 1; ; attempt++) {
      try {
        const outgoing = await catalogBatch(enriched, needs);
        await deps.publisher.publish(outgoing);
        ctx.log.debug({ events: events.length, attempt }, 'cataloged listings');
        return;
      } catch (error) {
        const conflict = error instanceof GrokcatError && error.code === 'CATALOG_CONFLICT';
        if (!conflict || attempt >= MAX_CONFLICT_ATTEMPTS) throw error;
        ctx.log.debug({ attempt, reason: error.message }, 'cataloging conflict: batch started again');
      }
    }
  };

  /** One batch in one transaction; the events to publish once it committed. */
  const catalogBatch = async (
    enriched: { event: ConsumedEvent; e: ListingEnriched }[],
    needs: PlacementNeeds,
  ): Promise<EventToPublish[]> => {
    const outgoing: EventToPublish[] = [];
    const samples = categorySamples.forBatch();
    const batchSpaces = [...new Set(enriched.map(({ e }) => spaces.get(e.model_version) as string))].sort();
    await deps.catalog.transaction(async (tx) => {
      // Space locks before anything else (exclusive where an earlier attempt founded products), then
      // the rows an earlier attempt needed, in id order.
      for (const space of batchSpaces) {
        await tx.lockSpace(space, { exclusive: needs.creation.has(space), wait: true });
      }
      if (needs.products.size > 0) await tx.lockProducts([...needs.products], { wait: true });
      const batch: CatalogBatch = {
        tx,
        ratios: await conditionRatios(tx),
        states: await tx.ensureListingStates(
          enriched.map(({ event, e }) => ({
            id: e.listing_id,
            title: e.title,
            price: priceOf(e),
            source_event_id: event.eventId,
          })),
        ),
        labels: await tx.batchMatchLabels(enriched.map(({ e }) => e.listing_id)),
        mergedInto: new Map(),
        creating: new Set(needs.creation),
        // A product merged since is not held, but counting it keeps later waits above it: still no cycle.
        locked: new Set(needs.products),
        needs,
        samples,
        suggestions: [],
      };
      for (const { event, e } of enriched) {
        await withSpan(
          'catalog listing',
          {
            ...dbWrite(['listings', 'enrichments', 'products', 'price_suggestions']),
            'grokcat.listing.id': e.listing_id,
            'grokcat.model.version': e.model_version,
          },
          async (span) => {
            const written = await catalogListing(batch, event, e, spaces.get(e.model_version) as string);
            span.setAttributes({
              'grokcat.product.id': written.productId,
              'grokcat.product.new': written.newProduct,
              'grokcat.price.status': written.priceStatus,
            });
            outgoing.push(...written.events);
          },
          event.traceContext,
        );
      }
      await tx.storePriceSuggestions(batch.suggestions);
    });
    samples.commit();
    return outgoing;
  };

  /** One enriched listing inside the batch's transaction: its enrichment, product and price. */
  const catalogListing = async (
    batch: CatalogBatch,
    event: ConsumedEvent,
    e: ListingEnriched,
    space: string,
  ): Promise<{ productId: number; newProduct: boolean; priceStatus: string; events: EventToPublish[] }> => {
    const { tx } = batch;
    const price = priceOf(e);
    const state = batch.states.get(e.listing_id) ?? { productId: null, condition: null, coverImageId: null };
    const { scored, placement, matchScore } = await decidePlacement(batch, e, space, state);
    const written = await tx.placeListing(
      {
        listing_id: e.listing_id,
        model_version: e.model_version,
        embedding_space: space,
        category: e.category.label,
        category_confidence: Math.min(1, Math.max(0, e.category.confidence)),
        category_known: e.known,
        attributes: groupAttributes(e.attributes),
        queries: e.queries.map((q) => ({ query: q.query, p: q.confidence })),
        embedding: e.embedding,
        source_event_id: event.eventId,
      },
      e.model_version,
      placement,
      { space, embedding: e.embedding, sample: PRODUCT_PRICE_SAMPLE, limit: MAX_PRODUCT_COMPARABLES },
    );
    const merged = placement.kind === 'join' ? placement.merged : [];
    for (const loser of merged) batch.mergedInto.set(loser, written.productId);
    batch.states.set(e.listing_id, { ...state, productId: written.productId });

    const samples = batch.samples;
    const suggestion = await priceListing(
      tx,
      {
        id: e.listing_id,
        productId: written.productId,
        category: e.category.label,
        currency: price?.currency ?? null,
        space,
        embedding: e.embedding,
      },
      scored,
      batch.ratios,
      { sameProduct: written.prices, condition: state.condition, categoryPrices: samples.read },
    );
    if (price) {
      samples.add(
        { space, category: e.category.label, currency: price.currency },
        { listing_id: e.listing_id, amount_minor: price.amount_minor, condition: state.condition },
      );
    }
    batch.suggestions.push(suggestionRow(e.model_version, e.listing_id, suggestion));
    const published = catalogedEvents(event, e, {
      productId: written.productId,
      newProduct: placement.kind === 'new',
      merged,
      matchScore,
      suggestion,
    });
    return {
      productId: written.productId,
      newProduct: placement.kind === 'new',
      priceStatus: suggestion.status,
      events: published,
    };
  };
  return { handleEnriched };
}

/** What one batch's transaction knows beyond the database: read once, updated as listings are placed. */
interface CatalogBatch extends PlacementBatch {
  ratios: ConditionRatios;
  states: Map<string, ListingState>;
  samples: ReturnType<ReturnType<typeof categoryPriceSamples>['forBatch']>;
  suggestions: Parameters<CatalogTransaction['storePriceSuggestions']>[0];
}

const priceOf = (e: ListingEnriched) =>
  e.price ? { amount_minor: Number(e.price.amount_minor), currency: e.price.currency } : null;

/** The enriched event's flat attribute list as stored: `{ group: [{ label, p }] }`. */
function groupAttributes(
  attributes: ListingEnriched['attributes'],
): Record<string, { label: string; p: number }[]> {
  const out: Record<string, { label: string; p: number }[]> = {};
  for (const a of attributes) {
    const group = out[a.group] ?? [];
    group.push({ label: a.label, p: a.confidence });
    out[a.group] = group;
  }
  return out;
}
