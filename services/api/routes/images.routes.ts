import type { FastifyInstance } from 'fastify';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { renderThumbnail } from '../../../shared/image/image-decoder.ts';
import type { ApiContext } from '../api-context.ts';
import { errorResponses } from '../api-schemas.ts';

/** Listing photos behind signed links (no API key: `<img src>` cannot send one), as WebP. */
export function registerImageRoutes(app: FastifyInstance, api: ApiContext): void {
  app.get<{
    Params: { listing: string; position: number };
    Querystring: { exp: number; sig: string; w: number };
  }>(
    '/v1/images/:listing/:position',
    {
      schema: {
        tags: ['listings'],
        summary: 'A listing photo as WebP, through the signed link the listing routes hand out',
        params: {
          type: 'object',
          properties: {
            listing: { type: 'string', maxLength: 200 },
            position: { type: 'integer', minimum: 0 },
          },
        },
        querystring: {
          type: 'object',
          required: ['exp', 'sig'],
          properties: {
            exp: { type: 'integer' },
            sig: { type: 'string', maxLength: 100 },
            w: { type: 'integer', minimum: 16, maximum: 1024, default: 320 },
          },
        },
        response: { ...errorResponses(400, 403, 404, 422, 502) },
      },
    },
    async (request, reply) => {
      const { listing, position } = request.params;
      const { exp, sig, w } = request.query;
      if (!api.links.verify(listing, position, exp, sig)) {
        throw new GrokcatError('IMAGE_LINK_INVALID', 'the image link is expired or its signature is wrong');
      }
      const row = await api
        .knex('listing_images')
        .where({ listing_id: listing, position })
        .first('ref_kind', 'ref');
      if (!row || row.ref_kind === 'inline') {
        throw new GrokcatError(
          'LISTING_NOT_FOUND',
          `listing ${listing} has no stored photo at position ${position}`,
        );
      }
      // Fetched again through the same policy as the enricher's (file root, private addresses refused).
      const bytes = await api.fetcher.fetch({ uri: String(row.ref) });
      const webp = await renderThumbnail(bytes, w, api.config.model.maxPixels);
      return reply
        .type('image/webp')
        .header('cache-control', 'private, max-age=3600')
        .header('content-security-policy', "default-src 'none'")
        .send(webp);
    },
  );
}
