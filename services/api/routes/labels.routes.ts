import type { FastifyInstance } from 'fastify';
import { newEventId } from '../../../shared/bus/event-publisher.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { TOPICS } from '../../../shared/events/topics.ts';
import type { ApiContext } from '../api-context.ts';
import { errorResponses, SECURED, strict } from '../api-schemas.ts';

const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
const kind = (name: string) => ({ type: 'string', const: name });

// ajv's discriminator picks the branch by `kind`, so errors name that kind's fields.
const labelBody = {
  type: 'object',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: [
    {
      type: 'object',
      title: 'category',
      additionalProperties: false,
      required: ['kind', 'listing_id', 'category'],
      properties: { kind: kind('category'), listing_id: id, category: id, previous_category: id },
    },
    {
      type: 'object',
      title: 'attributes',
      additionalProperties: false,
      required: ['kind', 'listing_id', 'attributes'],
      properties: {
        kind: kind('attributes'),
        listing_id: id,
        attributes: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['group', 'label', 'present'],
            properties: { group: id, label: id, present: { type: 'boolean' } },
          },
        },
      },
    },
    {
      type: 'object',
      title: 'product_match',
      additionalProperties: false,
      required: ['kind', 'listing_id', 'other_listing_id', 'same_product'],
      properties: {
        kind: kind('product_match'),
        listing_id: id,
        other_listing_id: id,
        same_product: { type: 'boolean' },
      },
    },
    {
      type: 'object',
      title: 'query_click',
      additionalProperties: false,
      required: ['kind', 'query', 'listing_id'],
      properties: {
        kind: kind('query_click'),
        query: { type: 'string', minLength: 1, maxLength: 500 },
        listing_id: id,
        position: { type: 'integer', minimum: 0 },
      },
    },
  ],
} as const;

type LabelBody =
  | { kind: 'category'; listing_id: string; category: string; previous_category?: string }
  | {
      kind: 'attributes';
      listing_id: string;
      attributes: { group: string; label: string; present: boolean }[];
    }
  | { kind: 'product_match'; listing_id: string; other_listing_id: string; same_product: boolean }
  | { kind: 'query_click'; query: string; listing_id: string; position?: number };

/** Checks a label against the serving model's card and turns it into its topic's event. */
function toEvent(body: LabelBody, api: ApiContext, source: string) {
  const card = api.runtime.files.card;
  const base = { event_id: newEventId(), occurred_at: Date.now(), source };
  switch (body.kind) {
    case 'category':
      if (!card.categories.labels.includes(body.category)) {
        throw new GrokcatError('REQUEST_INVALID', `category "${body.category}" is not one of the model's`, {
          details: { categories: card.categories.labels },
        });
      }
      return {
        topic: TOPICS.labelsCategory,
        value: {
          ...base,
          listing_id: body.listing_id,
          image_uri: null,
          category: body.category,
          previous_category: body.previous_category ?? null,
        },
      };
    case 'attributes':
      for (const a of body.attributes) {
        if (!card.attributes.groups.some((g) => g.name === a.group && g.labels.includes(a.label))) {
          throw new GrokcatError(
            'REQUEST_INVALID',
            `attribute ${a.group}:${a.label} is not one of the model's`,
            {
              details: { groups: card.attributes.groups },
            },
          );
        }
      }
      return {
        topic: TOPICS.labelsAttributes,
        value: { ...base, listing_id: body.listing_id, image_uri: null, attributes: body.attributes },
      };
    case 'product_match':
      if (body.listing_id === body.other_listing_id) {
        throw new GrokcatError('REQUEST_INVALID', 'a listing is always the same product as itself');
      }
      return { topic: TOPICS.labelsProductMatch, value: { ...base, ...withoutKind(body) } };
    case 'query_click':
      return {
        topic: TOPICS.labelsQueryClick,
        value: { ...base, ...withoutKind(body), position: body.position ?? null },
      };
  }
}

const withoutKind = <T extends { kind: string }>({ kind: _kind, ...rest }: T) => rest;

/** Labels: corrections and confirmations that the trainer and the cataloger learn from. */
export function registerLabelRoutes(app: FastifyInstance, api: ApiContext): void {
  app.post<{ Body: LabelBody }>(
    '/v1/labels',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['labels'],
        summary: 'Publish a label: a category or attribute correction, a product match, a search click',
        description:
          "The label is published on its labels.* topic; the trainer stores it (and retrains after enough new ones), product matches reach the cataloger at once. The source is the API key's name.",
        security: SECURED,
        body: labelBody,
        response: {
          202: strict({ event_id: { type: 'string' }, topic: { type: 'string' } }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const source = `api-key:${request.apiKey?.name ?? 'unknown'}`;
      const event = toEvent(request.body, api, source);
      await api.publisher.publish([{ topic: event.topic, key: request.body.listing_id, value: event.value }]);
      return reply.status(202).send({ event_id: event.value.event_id, topic: event.topic });
    },
  );
}
