import { GrokcatError } from '../errors/error-catalogue.ts';
import type { BusMessage } from './bus.ts';
import { EVENT_ID_HEADER } from './event-publisher.ts';

/**
 * The stable id of a consumed event, which handlers key their writes on: the `event_id` of its body
 * when the schema has one (so the same bytes sent twice by any producer are one event), else the
 * grokcat-event-id header, else topic/partition/offset. A header that names another id than the
 * body is refused: one of the two is wrong and guessing would merge or duplicate events.
 */
export function eventIdOf(message: BusMessage, value: unknown): string {
  const header = message.headers[EVENT_ID_HEADER];
  const body = bodyEventId(value);
  if (body !== null) {
    if (header !== undefined && header !== body) {
      throw new GrokcatError(
        'EVENT_ID_CONFLICT',
        `the ${EVENT_ID_HEADER} header (${JSON.stringify(header.slice(0, 200))}) disagrees with the event_id of the body (${JSON.stringify(body.slice(0, 200))})`,
        { details: { header, event_id: body } },
      );
    }
    return body;
  }
  return header ?? `${message.topic}/${message.partition}/${message.offset}`;
}

function bodyEventId(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !('event_id' in value)) return null;
  const id = (value as { event_id: unknown }).event_id;
  return typeof id === 'string' && id !== '' ? id : null;
}
