import type { ConsumedEvent, HandlerContext } from '../../shared/bus/consumer-runtime.ts';
import { derivedEventId, type EventToPublish } from '../../shared/bus/event-publisher.ts';
import type { CatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { toGrokcatError } from '../../shared/errors/error-catalogue.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import type { ImageFetcher, ImageRef } from '../../shared/image/image-fetcher.ts';
import { embeddingSpace } from '../../shared/model/grok/model-card.ts';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import { postprocess } from '../../shared/model/postprocess.ts';
import { pagePhotoRegions } from './page-photo-regions.ts';

interface PhotoUploaded {
  photo_id: string;
  page_id: string | null;
  image: ImageRef;
}

/** Most products one photo is tagged with, and neighbours looked at per region. */
const MAX_TAGS = 10;
const NEIGHBOURS_PER_REGION = 10;

/**
 * Visual search over the catalogue for one page photo: the whole photo and each crop look up their
 * nearest listings; a product scores the best similarity any region found for any of its listings;
 * products at or above the threshold are the tags. Null when the photo goes to the dead-letter topic.
 */
export async function tagPagePhoto(
  deps: { runtime: ModelRuntime; fetcher: ImageFetcher; catalog: CatalogRepository; tagThreshold: number },
  event: ConsumedEvent,
  ctx: HandlerContext,
): Promise<EventToPublish | null> {
  const photo = event.value as unknown as PhotoUploaded;
  let run: Awaited<ReturnType<ModelRuntime['run']>>;
  try {
    run = await deps.runtime.run(await deps.fetcher.fetch(photo.image), pagePhotoRegions());
  } catch (error) {
    const failure = toGrokcatError(error);
    if (failure.code !== 'IMAGE_REFUSED' && failure.code !== 'IMAGE_UNAVAILABLE') throw failure;
    ctx.deadLetter(event, failure);
    return null;
  }
  const space = embeddingSpace(run.files.card);
  const best = new Map<number, { product_id: number; listing_id: string | null; score: number }>();
  const regions = await Promise.all(
    run.outputs.map((outputs) =>
      deps.catalog.neighbours({ space, embedding: outputs.embedding, k: NEIGHBOURS_PER_REGION }),
    ),
  );
  for (const found of regions) {
    for (const n of found) {
      if (n.product_id === null) continue;
      const seen = best.get(n.product_id);
      if (!seen || n.similarity > seen.score)
        best.set(n.product_id, { product_id: n.product_id, listing_id: n.listing_id, score: n.similarity });
    }
  }
  const ranked = [...best.values()].sort((a, b) => b.score - a.score);
  const products = ranked.filter((p) => p.score >= deps.tagThreshold).slice(0, MAX_TAGS);
  const whole = postprocess(run.files.card, run.outputs[0] as NonNullable<(typeof run.outputs)[0]>);
  await deps.catalog.storePhotoTags({
    photo_id: photo.photo_id,
    model_version: run.files.version,
    page_id: photo.page_id ?? null,
    image_ref: photo.image.uri.slice(0, 2000),
    category: whole.category.label,
    // Kept beyond the threshold too (best 20), so look-ups and evaluation can rank all candidates.
    products: ranked.slice(0, 20).map((p) => ({ ...p, score: Number(p.score.toFixed(4)) })),
    source_event_id: event.eventId,
  });
  return {
    topic: TOPICS.photosTagged,
    key: photo.photo_id,
    value: {
      event_id: derivedEventId(TOPICS.photosTagged, event.eventId, run.files.version),
      occurred_at: Date.now(),
      photo_id: photo.photo_id,
      source_event_id: event.eventId,
      model_version: run.files.version,
      category: whole.category,
      known: whole.known,
      products,
    },
  };
}
