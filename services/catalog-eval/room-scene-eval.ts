import { readFileSync } from 'node:fs';
import { HUB_NEIGHBOURS, hubScore, rankProducts, type TagCandidate } from '../../shared/catalog/hubness.ts';
import { toGrokcatError } from '../../shared/errors/error-catalogue.ts';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import { readCsvRecords } from '../../shared/training/csv.ts';
import { searchRegions } from '../enricher/page-photo-regions.ts';
import { NEIGHBOURS_PER_REGION } from '../enricher/page-photo-tagger.ts';
import { dot } from './clustering-eval.ts';
import { pool } from './dataset-eval.ts';

export interface CatalogueItem {
  id: string;
  embedding: Float32Array;
}

export interface Scene {
  /** Products the scene shows. */
  shows: Set<string>;
  /** The whole photo first, then its crops; empty when the photo could not be read. */
  regions: Float32Array[];
}

export interface SceneRanking {
  /** Best five products per scene, as the enricher ranks them (hubness-corrected). */
  corrected: string[][];
  /** The same without the correction: each product's best region similarity. */
  uncorrected: string[][];
  /** The whole photo alone, uncorrected. */
  whole: string[][];
}

/**
 * Ranks the catalogue for each scene as the page-photo tagger does: each region's nearest
 * `neighbours` items are the candidates, a product scores its best region, and with the correction
 * each item's hub score is measured against the regions of the scenes ranked before it (at most
 * `poolRegions`, the newest), so scene order matters exactly as photo arrival order does.
 */
export function rankScenes(
  catalogue: readonly CatalogueItem[],
  scenes: readonly Scene[],
  options: { poolRegions: number; k?: number; neighbours?: number; top?: number },
): SceneRanking {
  const k = options.k ?? HUB_NEIGHBOURS;
  const neighbours = options.neighbours ?? NEIGHBOURS_PER_REGION;
  const top = options.top ?? 5;
  // Per catalogue item, its similarities to the pool's regions, oldest first.
  const poolSims = catalogue.map(() => [] as number[]);
  const ranking: SceneRanking = { corrected: [], uncorrected: [], whole: [] };
  const rank = (regions: Float32Array[], corrected: boolean) => {
    const candidates: TagCandidate[] = [];
    for (const region of regions) {
      const sims = catalogue.map((item, index) => ({ index, similarity: dot(region, item.embedding) }));
      sims.sort((a, b) => b.similarity - a.similarity);
      for (const { index, similarity } of sims.slice(0, neighbours)) {
        const hub = corrected ? hubScore(poolSims[index] as number[], k) : null;
        candidates.push({ product_id: index, listing_id: null, similarity, hub });
      }
    }
    return rankProducts(candidates, Number.NEGATIVE_INFINITY)
      .ranked.slice(0, top)
      .map((p) => (catalogue[p.product_id] as CatalogueItem).id);
  };
  for (const scene of scenes) {
    ranking.corrected.push(rank(scene.regions, options.poolRegions > 0));
    ranking.uncorrected.push(rank(scene.regions, false));
    ranking.whole.push(rank(scene.regions.slice(0, 1), false));
    if (options.poolRegions <= 0) continue;
    catalogue.forEach((item, index) => {
      const sims = poolSims[index] as number[];
      for (const region of scene.regions) sims.push(dot(region, item.embedding));
      if (sims.length > options.poolRegions) sims.splice(0, sims.length - options.poolRegions);
    });
  }
  return ranking;
}

/** recall@top averaged over scenes, how many products are ever ranked, and the most frequent one's share. */
export function sceneMetrics(scenes: readonly Scene[], tops: readonly string[][]) {
  const counts = new Map<string, number>();
  let recall = 0;
  tops.forEach((top, i) => {
    const shows = (scenes[i] as Scene).shows;
    recall += top.filter((id) => shows.has(id)).length / Math.max(1, shows.size);
    for (const id of top) counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  const round = (v: number) => Number(v.toFixed(4));
  return {
    recall_at_5: round(recall / Math.max(1, tops.length)),
    distinct_products_ranked: counts.size,
    top_product_share: round(Math.max(0, ...counts.values()) / Math.max(1, tops.length)),
  };
}

/**
 * ikea-catalog room scenes as page photos: the catalogue is every product image; each scene is
 * ranked as the enricher ranks page photos (the whole photo and a crop per detected object, or the
 * grid without a detector; hubness-corrected against
 * the scenes before it) and recall@5 is the share of the products the scene shows found in its top 5,
 * averaged over scenes, beside the uncorrected ranking, the whole photo alone and chance; by split
 * too (dev chose the correction, docs/catalog.md).
 */
export async function evaluateRoomScenes(
  dir: string,
  runtime: ModelRuntime,
  onProgress?: (done: number, total: number) => void,
  poolRegions = 750,
) {
  const products = readCsvRecords(`${dir}/labels.csv`).rows;
  const rows = readCsvRecords(`${dir}/room_scenes.csv`).rows;
  const total = products.length + rows.length;
  let done = 0;
  const catalogue = await pool(products, 8, async (r) => {
    const run = await runtime.run(readFileSync(`${dir}/${r.image}`));
    onProgress?.(++done, total);
    return { id: String(r.product_id), embedding: (run.outputs[0] as { embedding: Float32Array }).embedding };
  });
  let skipped = 0;
  let detectMs = 0;
  let detected = 0;
  const scenes: (Scene & { split: string })[] = await pool(rows, 2, async (row) => {
    const scene = {
      shows: new Set(String(row.products).split(';').filter(Boolean)),
      split: String(row.product_splits),
    };
    try {
      const bytes = readFileSync(`${dir}/${row.image}`);
      const started = performance.now();
      const boxes = await runtime.detect(bytes);
      detectMs += performance.now() - started;
      const search = searchRegions(boxes);
      detected += search.boxes.filter(Boolean).length;
      const run = await runtime.run(bytes, search.regions);
      return { ...scene, regions: run.outputs.map((o) => o.embedding) };
    } catch (error) {
      // An unreadable scene stays in the average with nothing found, and is counted.
      if (toGrokcatError(error).retriable) throw error;
      skipped += 1;
      return { ...scene, regions: [] };
    } finally {
      onProgress?.(++done, total);
    }
  });
  const ranking = rankScenes(catalogue, scenes, { poolRegions });
  const measure = (keep: (split: string) => boolean) => {
    const picked = scenes.flatMap((scene, i) => (keep(scene.split) ? [i] : []));
    const of = (tops: string[][]) => picked.map((i) => tops[i] as string[]);
    const subset = picked.map((i) => scenes[i] as Scene);
    return {
      scenes: picked.length,
      corrected: sceneMetrics(subset, of(ranking.corrected)),
      uncorrected: sceneMetrics(subset, of(ranking.uncorrected)),
    };
  };
  const all = measure(() => true);
  return {
    room_scenes: rows.length,
    catalogue_products: catalogue.length,
    recall_at_5: all.corrected.recall_at_5,
    recall_at_5_uncorrected: all.uncorrected.recall_at_5,
    recall_at_5_whole_photo: sceneMetrics(scenes, ranking.whole).recall_at_5,
    // A random top 5 holds each shown product with probability 5 / catalogue size.
    recall_at_5_chance: Number(Math.min(1, 5 / catalogue.length).toFixed(4)),
    distinct_products_ranked: all.corrected.distinct_products_ranked,
    distinct_products_ranked_uncorrected: all.uncorrected.distinct_products_ranked,
    top_product_share: all.corrected.top_product_share,
    top_product_share_uncorrected: all.uncorrected.top_product_share,
    hubness: { pool_regions: poolRegions, neighbours: HUB_NEIGHBOURS },
    // The tagger's crops: one per detected object with the model folder's detector, else the grid.
    regions: runtime.files.detector
      ? {
          source: `detector ${runtime.files.detector.card.name}`,
          objects_per_scene: Number((detected / Math.max(1, rows.length)).toFixed(2)),
          // Two scenes in flight share the cores: a bound, not the quiet machine's figure.
          detect_ms_per_photo: Math.round(detectMs / Math.max(1, rows.length)),
        }
      : { source: 'grid of 13 crops' },
    by_split: {
      dev: measure((split) => split === 'dev'),
      test: measure((split) => split === 'test'),
      both: measure((split) => split !== 'dev' && split !== 'test'),
    },
    unreadable_scenes: skipped,
  };
}

export type RoomSceneEvaluation = Awaited<ReturnType<typeof evaluateRoomScenes>>;
