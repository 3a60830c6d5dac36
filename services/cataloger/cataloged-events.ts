import type { ConsumedEvent } from '../../shared/bus/consumer-runtime.ts';
import { derivedEventId, type EventToPublish } from '../../shared/bus/event-publisher.ts';
import type { PriceSuggestion } from '../../shared/catalog/price-suggestion.ts';
import { TOPICS } from '../../shared/events/topics.ts';

/** The listings.enriched event as the cataloger reads it. */
export interface ListingEnriched {
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

type Suggestion = PriceSuggestion & { currency: string };

/** The stored price suggestion of one listing (`price_suggestions`), suggested or not. */
export function suggestionRow(modelVersion: string, listingId: string, suggestion: Suggestion) {
  const suggested = suggestion.status === 'SUGGESTED' ? suggestion : null;
  return {
    listing_id: listingId,
    model_version: modelVersion,
    status: suggested ? ('suggested' as const) : ('insufficient_data' as const),
    price_minor: suggested?.amount_minor ?? null,
    low_minor: suggested?.low_minor ?? null,
    high_minor: suggested?.high_minor ?? null,
    currency: suggested ? suggestion.currency : null,
    confidence: suggested?.confidence ?? null,
    method: suggestion.method,
    comparables: suggestion.comparables,
    reason: suggested ? null : suggestion.reason,
  };
}

/** listings.cataloged and prices.suggested for one listing, their ids derived from the source event. */
export function catalogedEvents(
  event: ConsumedEvent,
  e: ListingEnriched,
  outcome: {
    productId: number;
    newProduct: boolean;
    merged: number[];
    matchScore: number | null;
    suggestion: Suggestion;
  },
): EventToPublish[] {
  const { suggestion } = outcome;
  const suggested = suggestion.status === 'SUGGESTED' ? suggestion : null;
  const comparables = suggestion.comparables.map(({ same_product: _, ...c }) => c);
  return [
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
        product_id: outcome.productId,
        new_product: outcome.newProduct,
        merged_product_ids: outcome.merged,
        match_score: outcome.matchScore,
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
}
