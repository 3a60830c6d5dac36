/**
 * JSON Schemas of the API, registered by $id: Fastify validates requests and serialises responses
 * with them, and @fastify/swagger publishes them as the OpenAPI components.
 */
const nullable = (type: string | string[]) => ({ type: [...(Array.isArray(type) ? type : [type]), 'null'] });

const scores = {
  type: 'object',
  description: 'attribute group -> labels predicted above their threshold, with probabilities',
  additionalProperties: {
    type: 'array',
    items: { type: 'object', properties: { label: { type: 'string' }, p: { type: 'number' } } },
  },
};

export const API_SCHEMAS = [
  {
    $id: 'Error',
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'retriable'],
        properties: {
          code: { type: 'string', description: 'stable code from the error catalogue' },
          message: { type: 'string' },
          retriable: { type: 'boolean', description: 'true when the same request may succeed later' },
          details: { type: 'object', additionalProperties: true },
        },
      },
      request_id: { type: 'string' },
    },
  },
  {
    $id: 'Money',
    type: 'object',
    required: ['amount_minor', 'currency'],
    properties: {
      amount_minor: { type: 'integer', minimum: 0, description: 'minor units (cents)' },
      currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217' },
    },
  },
  {
    $id: 'ListingSummary',
    type: 'object',
    properties: {
      id: { type: 'string' },
      title: { type: 'string' },
      price: { anyOf: [{ $ref: 'Money#' }, { type: 'null' }] },
      condition: nullable('string'),
      product_id: nullable('integer'),
      category: nullable('string'),
      category_confidence: nullable('number'),
      attributes: scores,
      model_version: nullable('string'),
      received_at: { type: 'string', format: 'date-time' },
      image_url: { ...nullable('string'), description: 'signed link to the cover photo (valid 1-2 hours)' },
      score: { type: 'number', description: 'cosine similarity (search results only)' },
    },
  },
  {
    $id: 'Listing',
    type: 'object',
    properties: {
      id: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      price: { anyOf: [{ $ref: 'Money#' }, { type: 'null' }] },
      condition: nullable('string'),
      seller_id: nullable('string'),
      marketplace_category: nullable('string'),
      product_id: nullable('integer'),
      category: nullable('string'),
      category_confidence: nullable('number'),
      attributes: scores,
      queries: {
        type: 'array',
        items: { type: 'object', properties: { query: { type: 'string' }, p: { type: 'number' } } },
      },
      model_version: nullable('string'),
      received_at: { type: 'string', format: 'date-time' },
      enriched_at: { ...nullable('string'), format: 'date-time' },
      image_url: nullable('string'),
      images: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            position: { type: 'integer' },
            kind: { type: 'string', enum: ['url', 'file', 'inline'] },
            status: { type: 'string', enum: ['pending', 'ok', 'failed'] },
            width: nullable('integer'),
            height: nullable('integer'),
            error: {
              anyOf: [
                { type: 'object', properties: { code: { type: 'string' }, message: nullable('string') } },
                { type: 'null' },
              ],
            },
            url: {
              ...nullable('string'),
              description: 'signed link (file and URL photos; inline ones are not kept)',
            },
          },
        },
      },
    },
  },
  {
    $id: 'Prediction',
    type: 'object',
    properties: {
      model_version: { type: 'string' },
      category: { type: 'object', properties: { label: { type: 'string' }, confidence: { type: 'number' } } },
      top_categories: {
        type: 'array',
        items: { type: 'object', properties: { label: { type: 'string' }, confidence: { type: 'number' } } },
      },
      attributes: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            group: { type: 'string' },
            label: { type: 'string' },
            confidence: { type: 'number' },
          },
        },
      },
      queries: {
        type: 'array',
        items: { type: 'object', properties: { query: { type: 'string' }, confidence: { type: 'number' } } },
      },
      binary_code: { type: 'string', description: 'sign bits of the embedding, hex' },
      embedding: { type: 'array', items: { type: 'number' }, description: 'only with ?embedding=true' },
    },
  },
  {
    $id: 'PriceSuggestion',
    type: 'object',
    properties: {
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
        items: {
          type: 'object',
          properties: {
            listing_id: { type: 'string' },
            title: nullable('string'),
            similarity: { type: 'number' },
            amount_minor: { type: 'integer', description: "the comparable's asking price" },
            adjusted_minor: { type: 'integer', description: "brought to this listing's condition" },
            currency: { type: 'string' },
            condition: nullable('string'),
          },
        },
      },
    },
  },
] as const;

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { $ref: 'Error#' }]));

export const SECURED: { [scheme: string]: string[] }[] = [{ apiKey: [] }, { bearer: [] }];
