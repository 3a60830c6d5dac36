import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { fusedSimilarity, titleSimilarity, titleTrigrams } from '../../shared/catalog/title-similarity.ts';
import { GrokcatError } from '../../shared/errors/error-catalogue.ts';
import { seedOf } from '../../shared/training/seeded-random.ts';
import { type MatchSettings, scoreNeighbours } from '../cataloger/canonicalize.ts';
import { priceListing } from '../cataloger/price-comparables.ts';
import type { DemoListing, GroundTruth } from '../demo/demo-marketplace.ts';
import { dot, type EvalItem, evaluateMethod, perceptualScorers, scoreAssignment } from './clustering-eval.ts';

/** The newest demo run's ground truth under `folder` (GROKCAT_HOME/demo), or the named run's. */
export function readGroundTruth(folder: string, run?: string): GroundTruth {
  const runs = existsSync(folder)
    ? readdirSync(folder).filter((name) => existsSync(path.join(folder, name, 'ground-truth.json')))
    : [];
  const chosen =
    run ??
    runs.sort((a, b) => statSync(path.join(folder, b)).mtimeMs - statSync(path.join(folder, a)).mtimeMs)[0];
  if (!chosen || !runs.includes(chosen)) {
    throw new GrokcatError(
      'USAGE_INVALID',
      run ? `no demo run ${run} under ${folder}` : `no demo run under ${folder}: run grokcat demo first`,
    );
  }
  return JSON.parse(readFileSync(path.join(folder, chosen, 'ground-truth.json'), 'utf8')) as GroundTruth;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round = (value: number | null) => (value === null ? null : Number(value.toFixed(4)));

/**
 * The demo run against its ground truth: the pipeline's own products; image, title, fused and
 * perceptual-hash matching, each with its threshold chosen on half of the products and scored on the
 * other half; and the price suggestions of the held-out listings against the category median.
 */
export async function evaluateDemo(args: {
  truth: GroundTruth;
  catalog: CatalogRepository;
  space: string;
  match: MatchSettings;
  neighbours: number;
}) {
  const { truth } = args;
  const rows = new Map(
    (
      await args.catalog.listingsForEvaluation(
        truth.listings.map((l) => l.listing_id),
        args.space,
      )
    ).map((r) => [r.id, r]),
  );
  const listings = truth.listings.filter((l) => rows.get(l.listing_id)?.embedding);
  if (listings.length < 4) {
    throw new GrokcatError(
      'USAGE_INVALID',
      `demo ${truth.run}: only ${listings.length} of its listings are enriched in space ${args.space}`,
    );
  }
  const items: EvalItem[] = listings.map((l) => ({
    id: l.listing_id,
    truth: l.product,
    split: seedOf(l.product) % 2 === 0 ? 'calibration' : 'test',
  }));
  const embeddings = listings.map((l) => rows.get(l.listing_id)?.embedding as Float32Array);
  const titles = listings.map((l) => titleTrigrams(rows.get(l.listing_id)?.title ?? l.title));
  const covers = listings.map((l) => readFileSync(fileURLToPath(l.images[0] as string)));
  const hashes = await perceptualScorers(covers);
  const image = (i: number, j: number) => dot(embeddings[i] as Float32Array, embeddings[j] as Float32Array);
  const text = (i: number, j: number) =>
    titleSimilarity(titles[i] as Map<string, number>, titles[j] as Map<string, number>);
  const pipelineTruth = new Map(listings.map((l) => [l.listing_id, l.product]));
  const pipelineProducts = new Map(
    listings.map((l) => [l.listing_id, String(rows.get(l.listing_id)?.product_id ?? `none-${l.listing_id}`)]),
  );
  const testIds = new Set(items.filter((i) => i.split === 'test').map((i) => i.id));
  const onTest = <V>(map: Map<string, V>) => new Map([...map].filter(([id]) => testIds.has(id)));

  const priced = truth.listings.filter((l) => !l.held_out);
  const categoryMedian = new Map<string, number>();
  for (const category of new Set(priced.map((l) => l.category))) {
    categoryMedian.set(
      category,
      median(priced.filter((l) => l.category === category).map((l) => l.true_price_minor)) as number,
    );
  }
  const ape = (estimate: number, actual: number) => Math.abs(estimate - actual) / actual;
  // The same baseline on the category the model predicted (what grokcat knows of a listing).
  const predictedMedian = new Map<string, number>();
  for (const category of new Set(priced.map((l) => rows.get(l.listing_id)?.category ?? ''))) {
    const prices = priced
      .filter((l) => rows.get(l.listing_id)?.category === category)
      .map((l) => l.true_price_minor);
    if (prices.length > 0) predictedMedian.set(category, median(prices) as number);
  }
  const predictedBaseline = (of: DemoListing[]) =>
    round(
      median(
        of.flatMap((l) => {
          const m = predictedMedian.get(rows.get(l.listing_id)?.category ?? '');
          return m === undefined ? [] : [ape(m, l.true_price_minor)];
        }),
      ),
    );
  const heldOut = truth.listings.filter((l) => l.held_out && rows.has(l.listing_id));
  const suggested = heldOut.filter((l) => rows.get(l.listing_id)?.price_status === 'suggested');
  // The same rules again on the final catalogue (read only), where the baseline's medians come from:
  // a listing cataloged first had almost nothing to compare with when its suggestion was made.
  const repriced = new Map<string, { amount: number | null; method: string }>();
  await args.catalog.transaction(async (tx) => {
    const ratios = await tx.conditionRatios();
    for (const l of heldOut) {
      const row = rows.get(l.listing_id);
      if (!row?.embedding || row.product_id === null || !row.category) continue;
      const embedding = [...row.embedding];
      const found = await tx.neighbours({
        space: args.space,
        embedding,
        k: args.neighbours,
        exclude: row.id,
      });
      const scored = scoreNeighbours(row.title, found, args.match);
      const suggestion = await priceListing(
        tx,
        {
          id: row.id,
          productId: row.product_id,
          category: row.category,
          currency: 'EUR',
          space: args.space,
          embedding,
        },
        scored,
        ratios,
      );
      repriced.set(row.id, {
        amount: suggestion.status === 'SUGGESTED' ? suggestion.amount_minor : null,
        method: suggestion.method,
      });
    }
  });
  const finalSuggested = heldOut.filter((l) => repriced.get(l.listing_id)?.amount != null);
  const finalMethods: Record<string, { listings: number; mdape: number | null }> = {};
  for (const method of new Set(finalSuggested.map((l) => repriced.get(l.listing_id)?.method ?? 'none'))) {
    const of = finalSuggested.filter((l) => repriced.get(l.listing_id)?.method === method);
    finalMethods[method] = {
      listings: of.length,
      mdape: round(
        median(of.map((l) => ape(repriced.get(l.listing_id)?.amount as number, l.true_price_minor))),
      ),
    };
  }
  // The baseline: the median asking price of the listing's true category over every priced listing.
  const baseline = (of: typeof heldOut) =>
    round(
      median(
        of.flatMap((l) =>
          categoryMedian.has(l.category)
            ? [ape(categoryMedian.get(l.category) as number, l.true_price_minor)]
            : [],
        ),
      ),
    );
  const byMethod: Record<string, number> = {};
  for (const l of suggested) {
    const method = rows.get(l.listing_id)?.price_method ?? 'none';
    byMethod[method] = (byMethod[method] ?? 0) + 1;
  }
  return {
    run: truth.run,
    source: truth.source,
    listings: listings.length,
    products: new Set(listings.map((l) => l.product)).size,
    test_listings: testIds.size,
    canonicalization: {
      pipeline: {
        ...scoreAssignment(pipelineTruth, pipelineProducts),
        test_half: scoreAssignment(onTest(pipelineTruth), onTest(pipelineProducts)),
      },
      image: evaluateMethod(items, image),
      text: evaluateMethod(items, text),
      fused: evaluateMethod(items, (i, j) => fusedSimilarity(image(i, j), text(i, j), args.match.textWeight)),
      phash: evaluateMethod(items, hashes.phash),
      dhash: evaluateMethod(items, hashes.dhash),
    },
    price: {
      held_out: heldOut.length,
      final_catalogue: {
        suggested: finalSuggested.length,
        coverage: round(heldOut.length ? finalSuggested.length / heldOut.length : null),
        mdape: round(
          median(
            finalSuggested.map((l) => ape(repriced.get(l.listing_id)?.amount as number, l.true_price_minor)),
          ),
        ),
        baseline_category_median_mdape: baseline(finalSuggested),
        baseline_predicted_category_median_mdape: predictedBaseline(finalSuggested),
        by_method: finalMethods,
      },
      as_emitted: {
        suggested: suggested.length,
        coverage: round(heldOut.length ? suggested.length / heldOut.length : null),
        mdape: round(
          median(
            suggested.map((l) => ape(rows.get(l.listing_id)?.suggested_minor as number, l.true_price_minor)),
          ),
        ),
        baseline_category_median_mdape: baseline(suggested),
        by_method: byMethod,
      },
    },
  };
}
