import type { FastifyReply } from 'fastify';
import { renderThumbnail } from '../../../shared/image/image-decoder.ts';
import { errorResponses } from '../api-schemas.ts';

/** Query and responses of a photo behind a signed link (`<img src>` cannot send an API key). */
export function signedImageSchema(maxWidth: number, defaultWidth: number) {
  return {
    querystring: {
      type: 'object',
      required: ['exp', 'sig'],
      properties: {
        exp: { type: 'integer' },
        sig: { type: 'string', maxLength: 100 },
        w: { type: 'integer', minimum: 16, maximum: maxWidth, default: defaultWidth },
      },
    },
    response: {
      200: {
        description: 'the photo as WebP, at most `w` pixels wide',
        content: { 'image/webp': { schema: { type: 'string', format: 'binary' } } },
      },
      ...errorResponses(400, 403, 404, 422, 502),
    },
  };
}

/** The photo as a WebP thumbnail, cacheable by the browser, never run as a document. */
export async function sendWebp(reply: FastifyReply, bytes: Uint8Array, width: number, maxPixels: number) {
  const webp = await renderThumbnail(bytes, width, maxPixels);
  return reply
    .type('image/webp')
    .header('cache-control', 'private, max-age=3600')
    .header('content-security-policy', "default-src 'none'")
    .send(webp);
}
