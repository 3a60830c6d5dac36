import type { FastifyInstance } from 'fastify';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import type { ApiContext } from '../api-context.ts';
import { errorResponses, SECURED, strict } from '../api-schemas.ts';
import { notFound } from './listings.routes.ts';

const photo = {
  contentMediaType: 'application/octet-stream',
  description: 'the photo (JPEG, PNG, WebP, GIF, AVIF, TIFF)',
};

const searchFields = {
  k: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
  category: { type: 'string', maxLength: 200 },
  attribute: { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 10 },
  min_price_minor: { type: 'integer', minimum: 0 },
  max_price_minor: { type: 'integer', minimum: 0 },
  candidates: {
    type: 'integer',
    minimum: 1,
    maximum: 2000,
    description:
      'nearest neighbours fetched before filtering (default max(100, 5k)); raise it for narrow filters',
  },
} as const;

interface SearchBody {
  listing_id?: string;
  image?: Buffer;
  k: number;
  category?: string;
  attribute?: string[];
  min_price_minor?: number;
  max_price_minor?: number;
  candidates?: number;
}

const productResult = strict({
  product_id: { type: 'integer' },
  score: { type: 'number', description: 'best score of its listings' },
  listing_ids: { type: 'array', items: { type: 'string' } },
  category: { type: ['string', 'null'] },
  title: { type: 'string' },
  image_url: { type: ['string', 'null'] },
});

function imageOf(body: unknown): Buffer {
  const image = (body as { image?: unknown } | undefined)?.image;
  if (!Buffer.isBuffer(image)) {
    throw new GrokcatError('REQUEST_INVALID', 'send the photo as the multipart file field "image"');
  }
  return image;
}

/** Synchronous predictions for an uploaded photo, and visual search over the catalogue. */
export function registerSearchRoutes(app: FastifyInstance, api: ApiContext): void {
  app.post<{ Querystring: { embedding?: boolean } }>(
    '/v1/enrich',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['model'],
        summary: "One photo through the serving model, in the enrichers' shared batches",
        security: SECURED,
        consumes: ['multipart/form-data'],
        querystring: { type: 'object', properties: { embedding: { type: 'boolean', default: false } } },
        body: {
          content: {
            'multipart/form-data': {
              schema: { type: 'object', required: ['image'], properties: { image: photo } },
            },
          },
        },
        response: { 200: { $ref: 'Prediction#' }, ...errorResponses(400, 401, 413, 415, 422, 429) },
      },
    },
    async (request) => {
      const prediction = await api.runtime.enrich(imageOf(request.body));
      const { embedding: _embedding, ...withoutEmbedding } = prediction;
      return request.query.embedding ? prediction : withoutEmbedding;
    },
  );

  app.post<{ Body: SearchBody }>(
    '/v1/search',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['search'],
        summary: 'Listings and products that look like a photo (multipart) or a listing (JSON)',
        security: SECURED,
        body: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['listing_id'],
                properties: { listing_id: { type: 'string', minLength: 1, maxLength: 200 }, ...searchFields },
              },
            },
            'multipart/form-data': {
              schema: { type: 'object', required: ['image'], properties: { image: photo, ...searchFields } },
            },
          },
        },
        response: {
          200: strict({
            model_version: { type: 'string' },
            query: strict(
              {
                listing_id: { type: 'string' },
                category: strict({ label: { type: 'string' }, confidence: { type: 'number' } }),
              },
              ['listing_id', 'category'],
            ),
            listings: { type: 'array', items: { $ref: 'ListingSummary#' } },
            products: { type: 'array', items: productResult },
          }),
          ...errorResponses(400, 401, 404, 409, 413, 415, 422, 429),
        },
      },
    },
    async (request) => {
      const body = request.body;
      let embedding: ArrayLike<number>;
      let version: string;
      let query: Record<string, unknown>;
      if (body.listing_id) {
        const found = await api.queries.embeddingOf(body.listing_id);
        if (!found) {
          if (!(await api.queries.listingExists(body.listing_id))) throw notFound(body.listing_id);
          throw new GrokcatError('LISTING_NOT_ENRICHED', `listing ${body.listing_id} has no enrichment yet`);
        }
        ({ embedding, model_version: version } = found);
        query = { listing_id: body.listing_id };
      } else {
        const prediction = await api.runtime.enrich(imageOf(body));
        ({ embedding, model_version: version } = prediction);
        query = { category: prediction.category };
      }
      const space = (await api.catalog.spaceOf(version)) ?? version;
      const listings = await api.queries.similar({
        space,
        embedding,
        k: body.k,
        candidates: body.candidates ?? Math.max(100, 5 * body.k),
        exclude: body.listing_id,
        filters: {
          category: body.category,
          attributes: body.attribute,
          minPriceMinor: body.min_price_minor,
          maxPriceMinor: body.max_price_minor,
        },
      });
      const withUrls = listings.map(api.withImageUrl);
      return { model_version: version, query, listings: withUrls, products: groupByProduct(withUrls) };
    },
  );
}

/** Products in the order of their best listing. */
interface Hit {
  id: string;
  product_id: number | null;
  score: number;
  category: string | null;
  title: string;
  image_url: string | null;
}

function groupByProduct(listings: Hit[]) {
  const products = new Map<
    number,
    Omit<Hit, 'id' | 'product_id'> & { product_id: number; listing_ids: string[] }
  >();
  for (const listing of listings) {
    if (listing.product_id === null) continue;
    const product = products.get(listing.product_id);
    if (product) product.listing_ids.push(listing.id);
    else
      products.set(listing.product_id, {
        product_id: listing.product_id,
        score: listing.score,
        listing_ids: [listing.id],
        category: listing.category,
        title: listing.title,
        image_url: listing.image_url,
      });
  }
  return [...products.values()];
}
