import type { FastifyInstance } from 'fastify';
import { embeddingSpace } from '../../../shared/model/grok/model-card.ts';
import { createModelRegistry } from '../../../shared/model/model-registry.repository.ts';
import { rollbackModel } from '../../../shared/training/model-rollback.ts';
import type { ApiContext } from '../api-context.ts';
import { errorResponses, SECURED, strict } from '../api-schemas.ts';

const metrics = { type: 'object', additionalProperties: { type: 'number' } };

/** Model versions with their metrics, the serving one, and rollback. */
export function registerModelRoutes(app: FastifyInstance, api: ApiContext): void {
  const registry = createModelRegistry(api.knex);

  app.get(
    '/v1/models',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['models'],
        summary: 'Model versions, oldest first, with metrics and gate decisions; the serving version',
        security: SECURED,
        response: {
          200: strict({
            serving: { type: ['string', 'null'] },
            loaded: { type: 'string', description: 'the version this process runs now' },
            labels: {
              description: 'what the loaded version predicts: the values a label may name',
              ...strict({
                categories: { type: 'array', items: { type: 'string' } },
                attributes: {
                  type: 'array',
                  items: strict({
                    name: { type: 'string' },
                    labels: { type: 'array', items: { type: 'string' } },
                  }),
                },
              }),
            },
            versions: {
              type: 'array',
              items: strict({
                version: { type: 'string' },
                status: { type: 'string', enum: ['candidate', 'serving', 'retired', 'rejected'] },
                parent_version: { type: ['string', 'null'] },
                embedding_space: { type: 'string' },
                description: { type: 'string' },
                training_data: { type: 'string' },
                created_at: { type: ['string', 'null'], format: 'date-time' },
                published_at: { type: ['string', 'null'], format: 'date-time' },
                metrics,
                gate: {
                  anyOf: [
                    {
                      type: 'object',
                      required: ['pass'],
                      additionalProperties: true,
                      properties: {
                        pass: { type: 'boolean' },
                        regressions: { type: 'array', items: { type: 'object', additionalProperties: true } },
                      },
                    },
                    { type: 'null' },
                  ],
                },
              }),
            },
          }),
          ...errorResponses(401, 429),
        },
      },
    },
    async () => {
      const rows = (await registry.list()).reverse();
      const iso = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null);
      return {
        serving: rows.find((row) => row.status === 'serving')?.version ?? null,
        loaded: api.runtime.version,
        labels: {
          categories: api.runtime.files.card.categories.labels,
          attributes: api.runtime.files.card.attributes.groups,
        },
        versions: rows.map((row) => ({
          version: row.version,
          status: row.status,
          parent_version: (row as { parent_version?: string | null }).parent_version ?? null,
          embedding_space: embeddingSpace(row.card),
          description: row.card.description,
          training_data: row.card.training.data,
          created_at: iso((row as { created_at?: Date }).created_at),
          published_at: iso((row as { published_at?: Date | null }).published_at),
          metrics: row.metrics ?? {},
          gate: row.gate ?? null,
        })),
      };
    },
  );

  app.post<{ Params: { version: string }; Body: { force?: boolean } | undefined }>(
    '/v1/models/:version/rollback',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['models'],
        summary: 'Serve an earlier version again; every enricher hot-swaps to it (admin keys)',
        security: SECURED,
        params: { type: 'object', properties: { version: { type: 'string', maxLength: 200 } } },
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { force: { type: 'boolean', description: 'also a version the gate refused' } },
        },
        response: {
          200: strict({
            version: { type: 'string' },
            previous_version: { type: ['string', 'null'] },
            backfill_required: { type: 'boolean' },
          }),
          ...errorResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (request) => {
      const result = await rollbackModel({
        knex: api.knex,
        publisher: api.publisher,
        version: request.params.version,
        force: request.body?.force === true,
      });
      request.log.info(result, 'model rolled back through the API');
      return result;
    },
  );
}
