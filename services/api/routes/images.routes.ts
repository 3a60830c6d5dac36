import type { FastifyInstance } from 'fastify';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import type { ApiContext } from '../api-context.ts';
import { notFound } from './listings.routes.ts';
import { sendWebp, signedImageSchema } from './signed-image.ts';

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
        ...signedImageSchema(1024, 320),
      },
    },
    async (request, reply) => {
      const { listing, position } = request.params;
      const { exp, sig, w } = request.query;
      if (!api.links.verify(listing, position, exp, sig)) {
        throw new GrokcatError('IMAGE_LINK_INVALID', 'the image link is expired or its signature is wrong');
      }
      const photo = await api.queries.photo(listing, position);
      if (!photo) {
        if (!(await api.queries.listingExists(listing))) throw notFound(listing);
        throw new GrokcatError('PHOTO_NOT_FOUND', `listing ${listing} has no photo at position ${position}`);
      }
      if (photo.status !== 'ok') {
        throw new GrokcatError(
          'PHOTO_NOT_KEPT',
          `photo ${position} of listing ${listing} was not kept: ${photo.error ?? 'it was never fetched'}`,
        );
      }
      if (photo.kind === 'inline' && !photo.inlineBytes) {
        throw new GrokcatError(
          'PHOTO_NOT_KEPT',
          `photo ${position} of listing ${listing} was sent inline before inline photos were kept`,
        );
      }
      // Inline bytes from the catalogue; the others fetched again through the same policy as the
      // enricher's (file root, private addresses refused).
      const bytes = photo.inlineBytes ?? (await api.fetcher.fetch({ uri: photo.ref }));
      return sendWebp(reply, bytes, w, api.config.model.maxPixels);
    },
  );
}
