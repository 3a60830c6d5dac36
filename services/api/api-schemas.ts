/**
 * JSON Schemas of the API, registered by $id: Fastify validates requests and serialises responses
 * with them, and @fastify/swagger publishes them as the OpenAPI components.
 */
const nullable = (type: string | string[]) => ({ type: [...(Array.isArray(type) ? type : [type]), 'null'] });

/**
 * A documented object: every property required unless named optional, no other property allowed,
 * so a response that drops a field or grows an undocumented one fails its schema (and the tests).
 */
export function strict<P extends Record<string, unknown>>(
  properties: P,
  optional: (keyof P & string)[] = [],
) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((key) => !optional.includes(key)),
    properties,
  } as const;
}

const scores = {
  type: 'object',
  description: 'attribute group -> labels predicted above their threshold, with probabilities',
  additionalProperties: {
    type: 'array',
    items: strict({ label: { type: 'string' }, p: { type: 'number' } }),
  },
};

const labelConfidence = strict({ label: { type: 'string' }, confidence: { type: 'number' } });

const summaryProperties = {
  id: { type: 'string' },
  title: { type: 'string' },
  price: { anyOf: [{ $ref: 'Money#' }, { type: 'null' }] },
  condition: nullable('string'),
  product_id: nullable('integer'),
  category: nullable('string'),
  category_confidence: nullable('number'),
  category_known: nullable('boolean'),
  attributes: scores,
  model_version: nullable('string'),
  received_at: { type: 'string', format: 'date-time' },
  image_url: { ...nullable('string'), description: 'signed link to the cover photo (valid 1-2 hours)' },
};

export const API_SCHEMAS = [
  {
    $id: 'Error',
    ...strict({
      error: strict(
        {
          code: { type: 'string', description: 'stable code from the error catalogue' },
          message: { type: 'string' },
          retriable: { type: 'boolean', description: 'true when the same request may succeed later' },
          details: { type: 'object', additionalProperties: true },
        },
        ['details'],
      ),
      request_id: { type: 'string' },
    }),
  },
  {
    $id: 'Money',
    ...strict({
      amount_minor: { type: 'integer', minimum: 0, description: 'minor units (cents)' },
      currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' },
    }),
  },
  {
    $id: 'ListingFailure',
    description: 'why a listing was dead-lettered',
    ...strict({
      code: { type: 'string', description: 'error catalogue code' },
      message: { type: 'string' },
      topic: { type: 'string', description: 'the topic of the event that failed' },
      origin: { type: 'string', description: 'topic/partition/offset of that event' },
      failed_at: { type: 'string', format: 'date-time' },
    }),
  },
  {
    $id: 'ListingStatus',
    ...strict({
      listing_id: { type: 'string' },
      status: {
        type: 'string',
        enum: ['enriched', 'cataloged', 'failed'],
        description: 'failed: dead-lettered, with the reason in `failure`',
      },
      failure: { anyOf: [{ $ref: 'ListingFailure#' }, { type: 'null' }] },
    }),
  },
  {
    $id: 'ListingSummary',
    ...strict(
      {
        ...summaryProperties,
        score: { type: 'number', description: 'cosine similarity (search results only)' },
      },
      ['score'],
    ),
  },
  {
    $id: 'Listing',
    ...strict({
      ...summaryProperties,
      description: { type: 'string' },
      seller_id: nullable('string'),
      marketplace_category: nullable('string'),
      queries: { type: 'array', items: strict({ query: { type: 'string' }, p: { type: 'number' } }) },
      enriched_at: { ...nullable('string'), format: 'date-time' },
      status: { type: 'string', enum: ['enriched', 'cataloged', 'failed'] },
      failure: { anyOf: [{ $ref: 'ListingFailure#' }, { type: 'null' }] },
      images: {
        type: 'array',
        items: strict({
          position: { type: 'integer' },
          kind: { type: 'string', enum: ['url', 'file', 'inline'] },
          status: { type: 'string', enum: ['pending', 'ok', 'failed'] },
          width: nullable('integer'),
          height: nullable('integer'),
          error: {
            anyOf: [strict({ code: { type: 'string' }, message: nullable('string') }), { type: 'null' }],
          },
          url: {
            ...nullable('string'),
            description: 'signed link to the photo as WebP; null when it was not kept (it failed)',
          },
        }),
      },
    }),
  },
  {
    $id: 'Prediction',
    ...strict(
      {
        model_version: { type: 'string' },
        known: {
          type: 'boolean',
          description:
            'false: the photo lies outside what the model knows; category is its closest guess, attributes and queries are withheld',
        },
        novelty: {
          ...nullable('number'),
          description: "the model's novelty score (null: no open-set output)",
        },
        category: labelConfidence,
        top_categories: { type: 'array', items: labelConfidence },
        attributes: {
          type: 'array',
          items: strict({
            group: { type: 'string' },
            label: { type: 'string' },
            confidence: { type: 'number' },
          }),
        },
        queries: {
          type: 'array',
          items: strict({ query: { type: 'string' }, confidence: { type: 'number' } }),
        },
        binary_code: { type: 'string', description: 'sign bits of the embedding, hex' },
        embedding: { type: 'array', items: { type: 'number' }, description: 'only with ?embedding=true' },
      },
      ['embedding'],
    ),
  },
  {
    $id: 'PriceSuggestion',
    ...strict({
      listing_id: { type: 'string' },
      status: { type: 'string', enum: ['suggested', 'insufficient_data'] },
      price_minor: nullable('integer'),
      low_minor: nullable('integer'),
      high_minor: nullable('integer'),
      currency: nullable('string'),
      confidence: nullable('number'),
      method: { type: 'string' },
      reason: nullable('string'),
      model_version: { type: 'string' },
      created_at: { type: 'string', format: 'date-time' },
      comparables: {
        type: 'array',
        items: strict(
          {
            listing_id: { type: 'string' },
            title: nullable('string'),
            similarity: { type: 'number' },
            amount_minor: { type: 'integer', description: "the comparable's asking price" },
            adjusted_minor: { type: 'integer', description: "brought to this listing's condition" },
            currency: { type: 'string' },
            condition: nullable('string'),
            same_product: {
              type: 'boolean',
              description: 'of the same canonical product (else a neighbour)',
            },
          },
          ['adjusted_minor', 'condition', 'same_product'],
        ),
      },
    }),
  },
] as const;

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { $ref: 'Error#' }]));

export const SECURED: { [scheme: string]: string[] }[] = [{ apiKey: [] }, { bearer: [] }];
