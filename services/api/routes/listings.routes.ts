import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { derivedEventId, newEventId } from '../../../shared/bus/event-publisher.ts';
import type { ListingFailure } from '../../../shared/catalog/listing-failures.repository.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { TOPICS } from '../../../shared/events/topics.ts';
import type { ApiContext } from '../api-context.ts';
import { errorResponses, SECURED, strict } from '../api-schemas.ts';

const INLINE_MAX_BYTES = 256 * 1024;

const listingQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    category: { type: 'string', maxLength: 200 },
    attribute: {
      type: 'array',
      items: { type: 'string', maxLength: 200 },
      maxItems: 10,
      description: '`label` or `group:label`; repeat for several (all must match)',
    },
    q: { type: 'string', maxLength: 200, description: 'words of the title' },
    product_id: { type: 'integer', minimum: 1 },
    page: { type: 'integer', minimum: 1, maximum: 10000, default: 1 },
    page_size: { type: 'integer', minimum: 1, maximum: 100, default: 24 },
  },
} as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'images'],
  properties: {
    listing_id: { type: 'string', minLength: 1, maxLength: 200, description: 'default: a new id' },
    title: { type: 'string', minLength: 1, maxLength: 500 },
    description: { type: 'string', maxLength: 10000 },
    price: { $ref: 'Money#' },
    seller_id: { type: 'string', maxLength: 200 },
    marketplace_category: { type: 'string', maxLength: 200 },
    condition: { type: 'string', enum: ['new', 'like_new', 'used', 'for_parts'] },
    seller_attributes: {
      type: 'object',
      additionalProperties: { type: 'string', maxLength: 500 },
      maxProperties: 50,
    },
    images: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          url: { type: 'string', pattern: '^(https?|file)://', maxLength: 4096 },
          data: {
            type: 'string',
            contentEncoding: 'base64',
            description: 'small image (<= 256 KiB), base64',
          },
          content_type: { type: 'string', maxLength: 100 },
        },
        oneOf: [{ required: ['url'] }, { required: ['data'] }],
      },
    },
  },
} as const;

interface CreateBody {
  listing_id?: string;
  title: string;
  description?: string;
  price?: { amount_minor: number; currency: string };
  seller_id?: string;
  marketplace_category?: string;
  condition?: string;
  seller_attributes?: Record<string, string>;
  images: { url?: string; data?: string; content_type?: string }[];
}

function imageRef(image: CreateBody['images'][number], index: number) {
  if (image.url) return { uri: image.url, inline_bytes: null, content_type: image.content_type ?? null };
  const bytes = Buffer.from(image.data ?? '', 'base64');
  if (bytes.length === 0 || bytes.length > INLINE_MAX_BYTES) {
    throw new GrokcatError(
      'REQUEST_INVALID',
      `images[${index}].data must be 1 byte to 256 KiB of base64 (has ${bytes.length} bytes): larger photos go by url`,
    );
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  return { uri: `inline:sha256:${sha}`, inline_bytes: bytes, content_type: image.content_type ?? null };
}

/** Listings: publish new ones, read the enriched catalogue, price suggestions. */
export function registerListingRoutes(app: FastifyInstance, api: ApiContext): void {
  app.post<{ Body: CreateBody; Headers: { 'idempotency-key'?: string } }>(
    '/v1/listings',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['listings'],
        summary: 'Publish a listing (listings.created); it is enriched and cataloged asynchronously',
        description:
          'An `Idempotency-Key` header makes retries safe: the same key from the same API key publishes the same event id, which every consumer deduplicates.',
        security: SECURED,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 200 } } },
        body: createBody,
        response: {
          202: strict({
            listing_id: { type: 'string' },
            event_id: { type: 'string' },
            topic: { type: 'string' },
            status_url: {
              type: 'string',
              description: 'GET it for the status: enriched, cataloged or failed',
            },
          }),
          ...errorResponses(400, 401, 403, 413, 429),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const listingId = body.listing_id ?? `api-${newEventId()}`;
      const idempotency = request.headers['idempotency-key'];
      const eventId = idempotency
        ? derivedEventId('api', request.apiKey?.id ?? '', idempotency)
        : newEventId();
      await api.publisher.publish([
        {
          topic: TOPICS.listingsCreated,
          key: listingId,
          value: {
            event_id: eventId,
            occurred_at: Date.now(),
            listing_id: listingId,
            title: body.title,
            description: body.description ?? '',
            price: body.price ?? null,
            seller_id: body.seller_id ?? null,
            marketplace_category: body.marketplace_category ?? null,
            images: body.images.map(imageRef),
            seller_attributes: body.seller_attributes ?? {},
            condition: body.condition ?? null,
          },
        },
      ]);
      return reply.status(202).send({
        listing_id: listingId,
        event_id: eventId,
        topic: TOPICS.listingsCreated,
        status_url: `/v1/listings/${encodeURIComponent(listingId)}/status`,
      });
    },
  );

  app.get<{
    Querystring: {
      category?: string;
      attribute?: string[];
      q?: string;
      product_id?: number;
      page: number;
      page_size: number;
    };
  }>(
    '/v1/listings',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['listings'],
        summary:
          'Enriched listings, newest first, filtered by predicted category, attributes and title words',
        security: SECURED,
        querystring: listingQuery,
        response: {
          200: strict({
            items: { type: 'array', items: { $ref: 'ListingSummary#' } },
            page: { type: 'integer' },
            page_size: { type: 'integer' },
            total: { type: 'integer' },
          }),
          ...errorResponses(400, 401, 429),
        },
      },
    },
    async (request) => {
      const { page, page_size: pageSize, attribute, ...rest } = request.query;
      const filters = {
        category: rest.category,
        attributes: attribute,
        q: rest.q,
        productId: rest.product_id,
      };
      const { items, total } = await api.queries.listListings(filters, page, pageSize);
      return { items: items.map(api.withImageUrl), page, page_size: pageSize, total };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/listings/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['listings'],
        summary: 'One listing as enriched: predictions, photos, product',
        security: SECURED,
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 200 } } },
        response: { 200: { $ref: 'Listing#' }, ...errorResponses(401, 404, 422, 429) },
      },
    },
    async (request) => {
      const id = request.params.id;
      const [listing, status] = await Promise.all([api.queries.getListing(id), api.failures.status(id)]);
      // A listing row means a status too; only a listing refused before it was written has none.
      if (!listing || !status) {
        if (status?.failure) throw failed(id, status.failure);
        throw notFound(id);
      }
      return {
        ...api.withImageUrl(listing),
        status: status.status,
        failure: status.failure,
        images: listing.images.map(({ kept, ...image }) => ({
          ...image,
          url: kept ? api.links.url(listing.id, image.position) : null,
        })),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/listings/:id/status',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['listings'],
        summary: 'Where a published listing stands: enriched, cataloged, or failed with code and reason',
        description:
          'The `status_url` of POST /v1/listings. 404 until the enricher has seen the listing (seconds after it is published); a listing that was dead-lettered answers `failed` with the reason, for good, until a later version of it succeeds.',
        security: SECURED,
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 200 } } },
        response: { 200: { $ref: 'ListingStatus#' }, ...errorResponses(401, 404, 429) },
      },
    },
    async (request) => {
      const status = await api.failures.status(request.params.id);
      if (!status) throw notYetKnown(request.params.id);
      return status;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/listings/:id/price',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['listings'],
        summary: 'The price suggestion of a listing, with the comparables it rests on',
        security: SECURED,
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 200 } } },
        response: { 200: { $ref: 'PriceSuggestion#' }, ...errorResponses(401, 404, 429) },
      },
    },
    async (request) => {
      const price = await api.queries.getPrice(request.params.id);
      if (price) return price;
      if (!(await api.queries.listingExists(request.params.id))) throw notFound(request.params.id);
      throw new GrokcatError('PRICE_NOT_FOUND', `listing ${request.params.id} has no price suggestion yet`);
    },
  );
}

export const notFound = (id: string) =>
  new GrokcatError(
    'LISTING_NOT_FOUND',
    `no listing ${id} in the catalogue (new listings appear once cataloged)`,
  );

const notYetKnown = (id: string) =>
  new GrokcatError(
    'LISTING_NOT_FOUND',
    `no listing ${id} is known yet: a listing just published appears within seconds, and one that fails says so here`,
  );

const failed = (id: string, failure: ListingFailure) =>
  new GrokcatError('LISTING_FAILED', `listing ${id} failed: ${failure.code}: ${failure.message}`, {
    details: { failure },
  });
