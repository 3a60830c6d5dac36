import { readFileSync } from 'node:fs';
import { toGrokcatError } from '../../shared/errors/error-catalogue.ts';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import { readCsvRecords } from '../../shared/training/csv.ts';
import { pagePhotoRegions } from '../enricher/page-photo-regions.ts';
import { dot, type EvalItem, evaluateMethod, perceptualScorers } from './clustering-eval.ts';

export const pool = async <T, R>(
  items: T[],
  width: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i] as T, i);
      }
    }),
  );
  return out;
};

/** grocery-store's in-store photos as listings, each in the half that calibrates or the one scored. */
export function groceryListings(
  rows: Record<string, string>[],
  calibration: 'dev' | 'test-half',
): (Record<string, string> & { half: EvalItem['split'] })[] {
  const natural = rows.filter((r) => r.image_type === 'natural');
  if (calibration === 'dev')
    return natural.map((r) => ({ ...r, half: r.split === 'dev' ? 'calibration' : 'test' }));
  const test = natural.filter((r) => r.split === 'test');
  const products = [...new Set(test.map((r) => String(r.product_id)))].sort();
  return test.map((r) => ({
    ...r,
    half: products.indexOf(String(r.product_id)) % 2 === 0 ? 'calibration' : 'test',
  }));
}

/**
 * grocery-store as a marketplace where every natural photo is a listing and the photos of one
 * product are its duplicates: canonicalization by the embedding against perceptual hashes, with
 * average linkage (the cataloger's rule) and, beside it, single linkage; the threshold chosen on the
 * dev split and scored on the test split (disjoint products). A model trained on the dev split
 * (`grokcat train --dataset`) has seen those products, and a threshold chosen on them is too
 * lenient for new ones: with `calibration: 'test-half'` the threshold is chosen on every other test
 * product and scored on the rest. Titles are not evaluated here: every photo of a product carries
 * the product's one title, so text matching would be trivially perfect and say nothing.
 */
export async function evaluateGrocery(
  dir: string,
  runtime: ModelRuntime,
  onProgress?: (done: number, total: number) => void,
  calibration: 'dev' | 'test-half' = 'dev',
) {
  const rows = groceryListings(readCsvRecords(`${dir}/labels.csv`).rows, calibration);
  const bytes = rows.map((r) => readFileSync(`${dir}/${r.image}`));
  let done = 0;
  const embeddings = await pool(bytes, 8, async (b) => {
    const run = await runtime.run(b);
    onProgress?.(++done, bytes.length);
    return (run.outputs[0] as { embedding: Float32Array }).embedding;
  });
  const hashes = await perceptualScorers(bytes);
  const image = (i: number, j: number) => dot(embeddings[i] as Float32Array, embeddings[j] as Float32Array);
  const items: EvalItem[] = rows.map((r, i) => ({
    id: String(i),
    truth: String(r.product_id),
    split: r.half,
  }));
  return {
    listings: items.filter((i) => i.split === 'test').length,
    products: new Set(items.filter((i) => i.split === 'test').map((i) => i.truth)).size,
    calibration:
      calibration === 'dev'
        ? 'dev split (threshold), test split (scores)'
        : 'every other test product (threshold), the other test products (scores)',
    canonicalization: {
      image: evaluateMethod(items, image),
      image_single_link: evaluateMethod(items, image, 'single'),
      phash: evaluateMethod(items, hashes.phash),
      dhash: evaluateMethod(items, hashes.dhash),
      text: null,
      text_note:
        'every photo of a product has the same title here: text matching is not measurable on this set',
    },
  };
}

/**
 * ikea-catalog room scenes as page photos: the catalogue is every product image; each scene is
 * tagged as the enricher tags page photos (the whole photo and 14 crops, a product scoring its best
 * region) and recall@5 is the share of the products the scene really shows found in its top 5,
 * averaged over scenes; the whole photo alone is given for comparison.
 */
export async function evaluateRoomScenes(
  dir: string,
  runtime: ModelRuntime,
  onProgress?: (done: number, total: number) => void,
) {
  const products = readCsvRecords(`${dir}/labels.csv`).rows;
  const scenes = readCsvRecords(`${dir}/room_scenes.csv`).rows;
  const total = products.length + scenes.length;
  let done = 0;
  const catalogue = await pool(products, 8, async (r) => {
    const run = await runtime.run(readFileSync(`${dir}/${r.image}`));
    onProgress?.(++done, total);
    return { id: String(r.product_id), embedding: (run.outputs[0] as { embedding: Float32Array }).embedding };
  });
  const regions = pagePhotoRegions();
  let skipped = 0;
  const recalls = await pool(scenes, 2, async (scene) => {
    const shown = new Set(String(scene.products).split(';').filter(Boolean));
    try {
      const run = await runtime.run(readFileSync(`${dir}/${scene.image}`), regions);
      const rank = (outputs: { embedding: Float32Array }[]) =>
        catalogue
          .map((p) => ({ id: p.id, score: Math.max(...outputs.map((o) => dot(o.embedding, p.embedding))) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, 5)
          .filter((p) => shown.has(p.id)).length / shown.size;
      onProgress?.(++done, total);
      return { crops: rank(run.outputs), whole: rank(run.outputs.slice(0, 1)) };
    } catch (error) {
      skipped += 1;
      onProgress?.(++done, total);
      return { crops: 0, whole: 0, error: toGrokcatError(error).message };
    }
  });
  const mean = (values: number[]) =>
    Number((values.reduce((s, v) => s + v, 0) / Math.max(1, values.length)).toFixed(4));
  // A random top 5 holds each shown product with probability 5 / catalogue size.
  const chance = Number(Math.min(1, 5 / catalogue.length).toFixed(4));
  return {
    room_scenes: scenes.length,
    catalogue_products: catalogue.length,
    recall_at_5: mean(recalls.map((r) => r.crops)),
    recall_at_5_whole_photo: mean(recalls.map((r) => r.whole)),
    recall_at_5_chance: chance,
    unreadable_scenes: skipped,
  };
}
