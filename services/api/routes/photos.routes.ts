import type { FastifyInstance } from 'fastify';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import type { ApiContext } from '../api-context.ts';
import { errorResponses, SECURED, strict } from '../api-schemas.ts';
import { sendWebp, signedImageSchema } from './signed-image.ts';

const fraction = { type: 'number', minimum: 0, maximum: 1 };
const nullable = (type: string) => ({ type: [type, 'null'] });

const BOX = strict({
  label: { type: 'string', description: 'the detector class (COCO: chair, couch, bed, ...)' },
  score: fraction,
  left: { ...fraction, description: 'as a fraction of the photo width' },
  top: { ...fraction, description: 'as a fraction of the photo height' },
  width: fraction,
  height: fraction,
  product_id: { ...nullable('integer'), description: 'the tagged product the crop matched best' },
  listing_id: { ...nullable('string'), description: "that product's closest listing to the crop" },
  similarity: nullable('number'),
});

const CANDIDATE = strict({
  product_id: { type: 'integer' },
  listing_id: nullable('string'),
  score: { type: 'number', description: 'best cosine similarity of any region of the photo' },
  corrected: {
    type: 'number',
    description: 'score less the product’s usual similarity to page photos (what the ranking uses)',
  },
});

const notFound = (id: string) => new GrokcatError('PAGE_PHOTO_NOT_FOUND', `no tagged page photo ${id}`);

/** Page photos tagged by the enricher (photos.tagged): what was found in them, and the photo itself. */
export function registerPhotoRoutes(app: FastifyInstance, api: ApiContext): void {
  app.get<{ Params: { id: string } }>(
    '/v1/photos/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['photos'],
        summary: 'A tagged page photo: the detected objects with their products, and the ranked candidates',
        security: SECURED,
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: {
          200: strict({
            photo_id: { type: 'string' },
            page_id: nullable('string'),
            model_version: { type: 'string' },
            category: { type: 'string', description: 'the whole photo’s most likely category' },
            tagged_at: { type: 'string', format: 'date-time' },
            image_url: {
              ...nullable('string'),
              description: 'signed link to the photo; null for inline photos',
            },
            boxes: { type: 'array', items: BOX },
            candidates: { type: 'array', items: CANDIDATE, description: 'the best 20 products, best first' },
          }),
          ...errorResponses(400, 401, 404, 429),
        },
      },
    },
    async (request) => {
      const photo = await api.queries.pagePhoto(request.params.id);
      if (!photo) throw notFound(request.params.id);
      return {
        photo_id: photo.photo_id,
        page_id: photo.page_id,
        model_version: photo.model_version,
        category: photo.category,
        tagged_at: photo.tagged_at,
        image_url: photo.image_ref.startsWith('inline:') ? null : api.links.photoUrl(photo.photo_id),
        boxes: photo.boxes,
        candidates: photo.products.map((p) => ({ ...p, corrected: p.corrected ?? p.score })),
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { exp: number; sig: string; w: number } }>(
    '/v1/photos/:id/image',
    {
      schema: {
        tags: ['photos'],
        summary: 'A page photo as WebP, through the signed link GET /v1/photos/{id} hands out',
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
        ...signedImageSchema(1600, 960),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!api.links.verifyPhoto(id, request.query.exp, request.query.sig))
        throw new GrokcatError('IMAGE_LINK_INVALID', 'the image link is expired or its signature is wrong');
      const photo = await api.queries.pagePhoto(id);
      if (!photo) throw notFound(id);
      if (photo.image_ref.startsWith('inline:'))
        throw new GrokcatError(
          'PHOTO_NOT_KEPT',
          `page photo ${id} was sent inline and its bytes are not kept`,
        );
      // Fetched again through the enricher's policy (file root, private addresses refused).
      const bytes = await api.fetcher.fetch({ uri: photo.image_ref });
      return sendWebp(reply, bytes, request.query.w, api.config.model.maxPixels);
    },
  );
}
