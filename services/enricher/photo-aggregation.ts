import type { RawOutputs } from '../../shared/model/postprocess.ts';

/**
 * One listing's photos into one set of model outputs, before post-processing:
 * - category: the mean of the photos' probability vectors (each photo votes with its confidence;
 *   a blurry photo with a flat distribution moves the result little);
 * - attributes and queries: the maximum over photos (a detail or a use seen in any photo holds for
 *   the listing: the zip on the back view, the label on the close-up);
 * - embedding: the mean of the L2-normalised photo embeddings, normalised again (the usual
 *   multi-view descriptor: the listing sits between its views on the unit sphere).
 * - novelty: the minimum over photos (the listing is known when one photo shows what the model knows).
 * Photos count equally; a listing with one photo gets that photo's outputs unchanged.
 */
export function aggregatePhotos(photos: RawOutputs[]): RawOutputs {
  const [first] = photos;
  if (!first) throw new Error('aggregatePhotos needs at least one photo');
  if (photos.length === 1) return first;
  const mean = (pick: (raw: RawOutputs) => Float32Array) => {
    const out = new Float32Array(pick(first).length);
    for (const raw of photos)
      pick(raw).forEach((v, i) => {
        out[i] = (out[i] as number) + v / photos.length;
      });
    return out;
  };
  const max = (pick: (raw: RawOutputs) => Float32Array) => {
    const out = Float32Array.from(pick(first));
    for (const raw of photos)
      pick(raw).forEach((v, i) => {
        out[i] = Math.max(out[i] as number, v);
      });
    return out;
  };
  const embedding = mean((raw) => raw.embedding);
  const norm = Math.hypot(...embedding) || 1;
  return {
    category: mean((raw) => raw.category),
    attributes: max((raw) => raw.attributes),
    queries: max((raw) => raw.queries),
    embedding: embedding.map((v) => v / norm),
    ...(photos.every((raw) => raw.novelty !== undefined)
      ? { novelty: Math.min(...photos.map((raw) => raw.novelty as number)) }
      : {}),
  };
}
