/** Every topic grokcat produces or consumes. Each has Avro schemas in `schemas/<topic>.v<N>.avsc`. */
export const TOPICS = {
  listingsCreated: 'listings.created',
  photosUploaded: 'photos.uploaded',
  listingsEnriched: 'listings.enriched',
  photosTagged: 'photos.tagged',
  listingsCataloged: 'listings.cataloged',
  pricesSuggested: 'prices.suggested',
  labelsCategory: 'labels.category',
  labelsAttributes: 'labels.attributes',
  labelsProductMatch: 'labels.product_match',
  labelsQueryClick: 'labels.query_click',
  modelsPublished: 'models.published',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

const DLQ_SUFFIX = '.dlq';

/** Where messages of `topic` that cannot be processed go, unchanged, with the reason in headers. */
export function deadLetterTopic(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith(DLQ_SUFFIX);
}
