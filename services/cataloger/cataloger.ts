import type { ConsumedEvent, EventHandler } from '../../shared/bus/consumer-runtime.ts';
import {
  derivedEventId,
  type EventPublisher,
  type EventToPublish,
} from '../../shared/bus/event-publisher.ts';
import type { CatalogRepository, CatalogTransaction } from '../../shared/catalog/catalog.repository.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import type { Logger } from '../../shared/log/logger.ts';
import { dbWrite, withSpan } from '../../shared/telemetry/tracing.ts';
import { canonicalize, type MatchSettings, scoreNeighbours } from './canonicalize.ts';
import { cachedCategoryPrices, priceListing } from './price-comparables.ts';

type ConditionRatios = Awaited<ReturnType<CatalogTransaction['conditionRatios']>>;
const RATIOS_TTL_MS = 60_000;

interface ListingEnriched {
  event_id: string;
  listing_id: string;
  model_version: string;
  category: { label: string; confidence: number };
  known: boolean;
  attributes: { group: string; label: string; confidence: number }[];
  queries: { query: string; confidence: number }[];
  embedding: number[];
  title: string;
  price: { amount_minor: number | bigint; currency: string } | null;
}

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
 * the source events. Canonicalization is serialised per embedding space (an advisory lock), so two
 * catalogers never create two products for duplicates they see at the same moment.
 */
export function createCataloger(deps: CatalogerDeps): { handleEnriched: EventHandler } {
  // Condition ratios cost an aggregate over the catalogue: on a large one they move slowly and are
  // refreshed once a minute; on a small one (a new catalogue filling up) every batch, cheaply.
  let ratiosCache: { value: ConditionRatios; at: number; listings: number } | null = null;
  const conditionRatios = async (tx: CatalogTransaction): Promise<ConditionRatios> => {
    const stale = !ratiosCache || Date.now() - ratiosCache.at > RATIOS_TTL_MS || ratiosCache.listings < 1000;
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
  const categoryPrices = cachedCategoryPrices();

  /** One enriched listing inside the batch's transaction: its enrichment, product and price. */
  const catalogListing = async (
    tx: CatalogTransaction,
    event: ConsumedEvent,
    ratios: ConditionRatios,
    space: string,
  ): Promise<{ productId: number; newProduct: boolean; priceStatus: string; events: EventToPublish[] }> => {
    const e = event.value as unknown as ListingEnriched;
    const price = e.price ? { amount_minor: Number(e.price.amount_minor), currency: e.price.currency } : null;
    await tx.ensureListing({ id: e.listing_id, title: e.title, price, source_event_id: event.eventId });
    await tx.upsertEnrichment({
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
    });
    const found = await tx.neighbours({
      space,
      embedding: e.embedding,
      k: deps.neighbours,
      exclude: e.listing_id,
    });
    const scored = scoreNeighbours(e.title, found, deps.settings());
    const product = await canonicalize(
      tx,
      {
        id: e.listing_id,
        title: e.title,
        category: e.category.label,
        modelVersion: e.model_version,
        space,
        embedding: e.embedding,
      },
      scored,
      deps.settings(),
    );
    const suggestion = await priceListing(
      tx,
      {
        id: e.listing_id,
        productId: product.productId,
        category: e.category.label,
        currency: price?.currency ?? null,
        space,
        embedding: e.embedding,
      },
      scored,
      ratios,
      categoryPrices,
    );
    const suggested = suggestion.status === 'SUGGESTED' ? suggestion : null;
    const comparables = suggestion.comparables.map(({ same_product: _, ...c }) => c);
    await tx.storePriceSuggestion({
      listing_id: e.listing_id,
      model_version: e.model_version,
      status: suggested ? 'suggested' : 'insufficient_data',
      price_minor: suggested?.amount_minor ?? null,
      low_minor: suggested?.low_minor ?? null,
      high_minor: suggested?.high_minor ?? null,
      currency: suggested ? suggestion.currency : null,
      confidence: suggested?.confidence ?? null,
      method: suggestion.method,
      comparables: suggestion.comparables,
      reason: suggested ? null : suggestion.reason,
    });
    const published: EventToPublish[] = [
      {
        topic: TOPICS.listingsCataloged,
        key: e.listing_id,
        traceContext: event.traceContext,
        value: {
          event_id: derivedEventId(TOPICS.listingsCataloged, event.eventId),
          occurred_at: Date.now(),
          listing_id: e.listing_id,
          source_event_id: event.eventId,
          model_version: e.model_version,
          product_id: product.productId,
          new_product: product.newProduct,
          merged_product_ids: product.merged,
          match_score: product.matchScore,
        },
      },
      {
        topic: TOPICS.pricesSuggested,
        key: e.listing_id,
        traceContext: event.traceContext,
        value: {
          event_id: derivedEventId(TOPICS.pricesSuggested, event.eventId),
          occurred_at: Date.now(),
          listing_id: e.listing_id,
          model_version: e.model_version,
          status: suggestion.status,
          price: suggested ? { amount_minor: suggested.amount_minor, currency: suggestion.currency } : null,
          low_minor: suggested?.low_minor ?? null,
          high_minor: suggested?.high_minor ?? null,
          confidence: suggested?.confidence ?? null,
          method: suggested ? suggested.method : 'none',
          comparables,
          reason: suggested ? null : suggestion.reason,
        },
      },
    ];

    return {
      productId: product.productId,
      newProduct: product.newProduct,
      priceStatus: suggestion.status,
      events: published,
    };
  };
  const handleEnriched: EventHandler = async (events, ctx) => {
    const spaces = new Map<string, string>();
    const outgoing: EventToPublish[] = [];
    for (const event of events) {
      const e = event.value as unknown as ListingEnriched;
      if (spaces.has(e.model_version)) continue;
      const space = await deps.catalog.spaceOf(e.model_version);
      if (!space) {
        throw new GrokcatError(
          'MODEL_NOT_FOUND',
          `listing ${e.listing_id} names unknown model version ${e.model_version}`,
        );
      }
      await deps.catalog.ensureIndex(space, e.embedding.length);
      spaces.set(e.model_version, space);
    }
    await deps.catalog.transaction(async (tx) => {
      for (const space of [...new Set(spaces.values())].sort()) await tx.lockSpace(space);
      const ratios = await conditionRatios(tx);
      for (const event of events) {
        const e = event.value as unknown as ListingEnriched;
        await withSpan(
          'catalog listing',
          {
            ...dbWrite(['listings', 'enrichments', 'products', 'price_suggestions']),
            'grokcat.listing.id': e.listing_id,
            'grokcat.model.version': e.model_version,
          },
          async (span) => {
            const written = await catalogListing(tx, event, ratios, spaces.get(e.model_version) as string);
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
    });
    await deps.publisher.publish(outgoing);
    ctx.log.debug({ events: events.length }, 'cataloged listings');
  };
  return { handleEnriched };
}

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
