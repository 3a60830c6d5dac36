import type { ConsumedEvent, HandlerContext } from '../../shared/bus/consumer-runtime.ts';
import { derivedEventId, type EventToPublish } from '../../shared/bus/event-publisher.ts';
import type { CatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { HUB_NEIGHBOURS, rankProducts, type TagCandidate } from '../../shared/catalog/hubness.ts';
import type { PagePhotoRegionRepository } from '../../shared/catalog/page-photo-regions.repository.ts';
import { toGrokcatError } from '../../shared/errors/error-catalogue.ts';
import { TOPICS } from '../../shared/events/topics.ts';
import type { ImageFetcher, ImageRef } from '../../shared/image/image-fetcher.ts';
import type { DetectedBox } from '../../shared/model/detector/gfl-decode.ts';
import { embeddingSpace } from '../../shared/model/grok/model-card.ts';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import { postprocess } from '../../shared/model/postprocess.ts';
import { searchRegions } from './page-photo-regions.ts';

interface PhotoUploaded {
  photo_id: string;
  page_id: string | null;
  image: ImageRef;
}

/** Most products one photo is tagged with, and neighbours looked at per region. */
const MAX_TAGS = 10;
export const NEIGHBOURS_PER_REGION = 10;

export interface PagePhotoTaggerDeps {
  runtime: ModelRuntime;
  fetcher: ImageFetcher;
  catalog: CatalogRepository;
  regions: PagePhotoRegionRepository;
  tagThreshold: number;
  /** Regions of recent page photos for the hubness correction; 0 turns it off. */
  tagHubPool: number;
}

/**
 * Visual search over the catalogue for one page photo: the whole photo and each crop look up their
 * nearest listings; a product ranks by its best region's similarity less its usual similarity to
 * recent page photos (hubness.ts), and is a tag when its similarity reaches the threshold and the
 * photo resembles it more than usual. The photo's regions then join the pool. Null when the photo
 * goes to the dead-letter topic.
 */
export async function tagPagePhoto(
  deps: PagePhotoTaggerDeps,
  event: ConsumedEvent,
  ctx: HandlerContext,
): Promise<EventToPublish | null> {
  const photo = event.value as unknown as PhotoUploaded;
  let run: Awaited<ReturnType<ModelRuntime['run']>>;
  let search: ReturnType<typeof searchRegions>;
  try {
    const bytes = await deps.fetcher.fetch(photo.image);
    search = searchRegions(await deps.runtime.detect(bytes));
    run = await deps.runtime.run(bytes, search.regions);
  } catch (error) {
    const failure = toGrokcatError(error);
    if (failure.code !== 'IMAGE_REFUSED' && failure.code !== 'IMAGE_UNAVAILABLE') throw failure;
    ctx.deadLetter(event, failure);
    return null;
  }
  const space = embeddingSpace(run.files.card);
  const embeddings = run.outputs.map((outputs) => outputs.embedding);
  const regions = await Promise.all(
    embeddings.map((embedding) => deps.catalog.neighbours({ space, embedding, k: NEIGHBOURS_PER_REGION })),
  );
  const found = regions.flat().filter((n) => n.product_id !== null);
  const hubs = await deps.regions.hubScores({
    space,
    dims: embeddings[0]?.length ?? 0,
    listingIds: [...new Set(found.map((n) => n.listing_id))],
    photoId: photo.photo_id,
    pool: deps.tagHubPool,
    k: HUB_NEIGHBOURS,
  });
  const candidates = (neighbours: typeof found) =>
    neighbours
      .filter((n) => n.product_id !== null)
      .map((n) => ({
        product_id: n.product_id as number,
        listing_id: n.listing_id,
        similarity: n.similarity,
        hub: hubs.get(n.listing_id) ?? null,
      }));
  const { ranked, tagged } = rankProducts(candidates(found), deps.tagThreshold);
  const boxes = boxesWithProducts(
    search.boxes,
    regions.slice(1).map(candidates),
    new Set(tagged.map((p) => p.product_id)),
  );
  const products = tagged
    .slice(0, MAX_TAGS)
    .map(({ product_id, listing_id, score }) => ({ product_id, listing_id, score }));
  const whole = postprocess(run.files.card, run.outputs[0] as NonNullable<(typeof run.outputs)[0]>);
  await deps.catalog.storePhotoTags({
    photo_id: photo.photo_id,
    model_version: run.files.version,
    page_id: photo.page_id ?? null,
    image_ref: photo.image.uri.slice(0, 2000),
    category: whole.category.label,
    // Kept beyond the threshold too (best 20), so look-ups and evaluation can rank all candidates.
    products: ranked.slice(0, 20).map((p) => ({
      ...p,
      score: Number(p.score.toFixed(4)),
      corrected: Number(p.corrected.toFixed(4)),
    })),
    boxes,
    source_event_id: event.eventId,
  });
  await deps.regions.remember({ space, photoId: photo.photo_id, embeddings, keep: deps.tagHubPool });
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
      boxes,
    },
  };
}

/** Each detected object with the tagged product its crop matched best (by corrected score), if any. */
function boxesWithProducts(boxes: (DetectedBox | null)[], perRegion: TagCandidate[][], tagged: Set<number>) {
  const round = (v: number) => Number(v.toFixed(4));
  return boxes.flatMap((box, i) => {
    if (!box) return [];
    const best = rankProducts(perRegion[i] ?? [], Number.NEGATIVE_INFINITY).ranked.find((p) =>
      tagged.has(p.product_id),
    );
    return [
      {
        label: box.label,
        score: round(box.score),
        left: round(box.left),
        top: round(box.top),
        width: round(box.width),
        height: round(box.height),
        product_id: best?.product_id ?? null,
        listing_id: best?.listing_id ?? null,
        similarity: best ? round(best.score) : null,
      },
    ];
  });
}
