import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelRuntime } from '../../shared/model/model-runtime.ts';
import { readCsvRecords } from '../../shared/training/csv.ts';
import { dot } from './clustering-eval.ts';
import { pool } from './dataset-eval.ts';

export interface SearchItem {
  product: string;
  category: string;
  embedding: Float32Array;
}

export interface SearchScores {
  queries: number;
  catalogue: number;
  k: number;
  /** Share of each query's k nearest catalogue photos (itself left out) of the same product, averaged. */
  precision_at_k_product: number;
  /** Share of queries with a photo of the same product among their k nearest. */
  recall_at_k_product: number;
  /** The same share for the same category. */
  precision_at_k_category: number;
  /** Share of queries whose nearest catalogue photo is of the same product. */
  recall_at_1_product: number;
  /** What a random k would give: the share of the other photos of the same product (category), averaged. */
  chance_product: number;
  chance_category: number;
  /** Distinct products ever in a top k, and the largest share of all top-k places one product holds (hubness). */
  products_ranked: number;
  products_total: number;
  top_product_share: number;
}

const round = (v: number) => Number(v.toFixed(4));

/**
 * Visual search scored: each query photo against every catalogue photo (itself left out when it is
 * in the catalogue too), by embedding cosine.
 */
export function searchScores(queries: SearchItem[], catalogue: SearchItem[], k = 5): SearchScores {
  const count = (pick: (item: SearchItem) => string) => {
    const counts = new Map<string, number>();
    for (const item of catalogue) counts.set(pick(item), (counts.get(pick(item)) ?? 0) + 1);
    return counts;
  };
  const perProduct = count((item) => item.product);
  const perCategory = count((item) => item.category);
  const ranked = new Map<string, number>();
  let product = 0;
  let category = 0;
  let first = 0;
  let found = 0;
  let chanceProduct = 0;
  let chanceCategory = 0;
  for (const item of queries) {
    const self = catalogue.includes(item) ? 1 : 0;
    const top = catalogue
      .filter((other) => other !== item)
      .map((other) => ({ other, score: dot(item.embedding, other.embedding) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
    const same = top.filter((t) => t.other.product === item.product).length;
    product += same / k;
    if (same > 0) found += 1;
    category += top.filter((t) => t.other.category === item.category).length / k;
    if (top[0]?.other.product === item.product) first += 1;
    for (const t of top) ranked.set(t.other.product, (ranked.get(t.other.product) ?? 0) + 1);
    const others = Math.max(1, catalogue.length - self);
    chanceProduct += ((perProduct.get(item.product) ?? self) - self) / others;
    chanceCategory += ((perCategory.get(item.category) ?? self) - self) / others;
  }
  const n = Math.max(1, queries.length);
  return {
    queries: queries.length,
    catalogue: catalogue.length,
    k,
    precision_at_k_product: round(product / n),
    recall_at_k_product: round(found / n),
    precision_at_k_category: round(category / n),
    recall_at_1_product: round(first / n),
    chance_product: round(chanceProduct / n),
    chance_category: round(chanceCategory / n),
    products_ranked: ranked.size,
    products_total: perProduct.size,
    top_product_share: round(Math.max(0, ...ranked.values()) / Math.max(1, n * k)),
  };
}

/**
 * grocery-store's test split searched two ways, by each in-store photo: against the catalogue (one
 * product image per product: which product is this?), and against every other test photo as
 * listings of a marketplace (the photos of one product were taken together, so neighbours among
 * them are easier than a new seller's photo would be). Test split only, so a model trained on the
 * dev split (`grokcat train --dataset`) is measured on products it never saw.
 */
export async function evaluateSearch(args: {
  dir: string;
  runtime: ModelRuntime;
  categoryColumn?: string;
  onProgress?: (done: number, total: number) => void;
}): Promise<{
  model_version: string;
  category_column: string;
  catalogue: SearchScores;
  listings: SearchScores;
}> {
  const column = args.categoryColumn ?? 'top_category';
  const rows = readCsvRecords(path.join(args.dir, 'labels.csv')).rows.filter((r) => r.split === 'test');
  let done = 0;
  // Eight in flight: the runtime batches them.
  const items = await pool(rows, 8, async (row) => {
    const run = await args.runtime.run(readFileSync(path.join(args.dir, String(row.image))));
    args.onProgress?.(++done, rows.length);
    return {
      product: String(row.product_id),
      category: String(row[column] ?? ''),
      embedding: (run.outputs[0] as { embedding: Float32Array }).embedding,
      iconic: row.image_type === 'iconic',
    };
  });
  const queries = items.filter((i) => !i.iconic);
  return {
    model_version: args.runtime.files.version,
    category_column: column,
    catalogue: searchScores(
      queries,
      items.filter((i) => i.iconic),
    ),
    listings: searchScores(queries, queries),
  };
}
