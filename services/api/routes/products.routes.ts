import type { FastifyInstance } from 'fastify';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import type { ApiContext } from '../api-context.ts';
import { errorResponses, SECURED, strict } from '../api-schemas.ts';

/** Canonical products: one cluster of duplicate listings. */
export function registerProductRoutes(app: FastifyInstance, api: ApiContext): void {
  app.get<{ Params: { id: number } }>(
    '/v1/products/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['products'],
        summary: 'A canonical product and its listings (a merged product answers with the one it joined)',
        security: SECURED,
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } },
        response: {
          200: strict({
            id: { type: 'integer' },
            requested_id: { type: 'integer' },
            category: { type: ['string', 'null'] },
            title: { type: ['string', 'null'] },
            listing_count: { type: 'integer' },
            model_version: { type: ['string', 'null'] },
            created_at: { type: 'string', format: 'date-time' },
            updated_at: { type: 'string', format: 'date-time' },
            listings: { type: 'array', items: { $ref: 'ListingSummary#' } },
          }),
          ...errorResponses(400, 401, 404, 429),
        },
      },
    },
    async (request) => {
      const product = await api.queries.getProduct(request.params.id);
      if (!product) throw new GrokcatError('PRODUCT_NOT_FOUND', `no product ${request.params.id}`);
      return { ...product, listings: product.listings.map(api.withImageUrl) };
    },
  );
}
