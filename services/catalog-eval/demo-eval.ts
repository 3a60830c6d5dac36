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
  const ape = (estimate: number, actual: number) => Math.abs(estimate - actual) / actual;
  /** Baseline: every listing priced at the median true price of the priced listings of its group. */
  const medianBaseline = (groupOf: (l: DemoListing) => string | undefined) => {
    const medians = new Map<string, number>();
    for (const group of new Set(priced.map(groupOf))) {
      if (group === undefined) continue;
      medians.set(
        group,
        median(priced.filter((l) => groupOf(l) === group).map((l) => l.true_price_minor)) as number,
      );
    }
    return (of: DemoListing[]) =>
      round(
        median(
          of.flatMap((l) => {
            const m = medians.get(groupOf(l) ?? '');
            return m === undefined ? [] : [ape(m, l.true_price_minor)];
          }),
        ),
      );
  };
  // The true category (the demo's), and the category the model predicted (what grokcat knows).
  const trueCategoryBaseline = medianBaseline((l) => l.category);
  const predictedCategoryBaseline = medianBaseline((l) => rows.get(l.listing_id)?.category ?? undefined);
  const heldOut = truth.listings.filter((l) => l.held_out && rows.has(l.listing_id));
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
  /** MdAPE of one set of suggestions over the held-out listings, overall and by rule, against both baselines. */
  const report = (
    suggestionOf: (l: DemoListing) => { amount: number | null; method: string } | undefined,
  ) => {
    const made = heldOut.filter((l) => suggestionOf(l)?.amount != null);
    const mdape = (of: DemoListing[]) =>
      round(median(of.map((l) => ape(suggestionOf(l)?.amount as number, l.true_price_minor))));
    const methods = [...new Set(made.map((l) => suggestionOf(l)?.method ?? 'none'))];
    return {
      suggested: made.length,
      coverage: round(heldOut.length ? made.length / heldOut.length : null),
      mdape: mdape(made),
      baseline_category_median_mdape: trueCategoryBaseline(made),
      baseline_predicted_category_median_mdape: predictedCategoryBaseline(made),
      by_method: Object.fromEntries(
        methods.map((method) => {
          const of = made.filter((l) => suggestionOf(l)?.method === method);
          return [method, { listings: of.length, mdape: mdape(of) }];
        }),
      ),
    };
  };
  const fused = (i: number, j: number) => fusedSimilarity(image(i, j), text(i, j), args.match.textWeight);
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
      image_single_link: evaluateMethod(items, image, 'single'),
      text: evaluateMethod(items, text),
      fused: evaluateMethod(items, fused),
      fused_single_link: evaluateMethod(items, fused, 'single'),
      phash: evaluateMethod(items, hashes.phash),
      dhash: evaluateMethod(items, hashes.dhash),
    },
    price: {
      held_out: heldOut.length,
      final_catalogue: report((l) => repriced.get(l.listing_id)),
      as_emitted: report((l) => {
        const row = rows.get(l.listing_id);
        return row?.price_status === 'suggested'
          ? { amount: row.suggested_minor, method: row.price_method ?? 'none' }
          : undefined;
      }),
    },
  };
}
