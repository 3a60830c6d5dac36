import type { ConsumedEvent, EventHandler } from '../../shared/bus/consumer-runtime.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import type { LabelKind, LabelRecord, LabelsRepository } from '../../shared/training/labels.repository.ts';

export const LABEL_TOPICS: Record<string, LabelKind> = {
  [TOPICS.labelsCategory]: 'category',
  [TOPICS.labelsAttributes]: 'attributes',
  [TOPICS.labelsProductMatch]: 'product_match',
  [TOPICS.labelsQueryClick]: 'query_click',
};

function toRecord(event: ConsumedEvent): LabelRecord {
  const value = event.value as Record<string, unknown>;
  const kind = LABEL_TOPICS[event.topic];
  if (!kind) throw new Error(`not a label topic: ${event.topic}`);
  return {
    eventId: event.eventId,
    kind,
    listingId: typeof value.listing_id === 'string' ? value.listing_id : null,
    imageRef: typeof value.image_uri === 'string' ? value.image_uri : null,
    payload: value,
    source: String(value.source ?? 'unknown'),
    occurredAt: new Date(Number(value.occurred_at)),
  };
}

/**
 * Stores label events, one statement per batch; a redelivered event changes nothing (unique event
 * id), so a crash between the insert and the offset commit loses and duplicates nothing.
 */
export function createLabelHandler({
  labels,
  onStored,
}: {
  labels: LabelsRepository;
  onStored: (count: number) => void;
}): EventHandler {
  return async (events, ctx) => {
    const stored = await labels.store(events.map(toRecord));
    ctx.log.debug({ events: events.length, stored }, 'stored labels');
    if (stored > 0) onStored(stored);
  };
}
