import type { ReferenceEvaluation } from '../../../shared/training/evaluate-reference.ts';
import type { RoomSceneEvaluation } from '../../catalog-eval/room-scene-eval.ts';
import type { evaluateSearch, SearchScores } from '../../catalog-eval/search-eval.ts';
import { num, pct, table } from './markdown-table.ts';
import type { BenchReport } from './report-types.ts';

/** The quality section of docs/benchmarks/README.md. */
export function qualitySection(s: NonNullable<BenchReport['suites']['quality']>): string[] {
  const fm = s.fashion_mnist;
  const demo = s.demo.evaluation;
  const c = demo.canonicalization;
  const out = [
    '## Quality',
    '',
    '### Category accuracy on Fashion-MNIST',
    '',
    `The served model on ${num(fm.images, 0)} Fashion-MNIST test images, through the serving runtime (${fm.images_per_second} img/s): ` +
      `**top-1 ${pct(fm.top1)}**, top-5 ${pct(fm.top5)}, declared unknown ${pct(fm.unknown_rate)}. Its heads are linear, trained on 1,000 images per class ` +
      '(each also as a colour render) over frozen ImageNet features (docs/model.md); the published figures below train whole networks on all 60,000 images ' +
      'and are quoted, not re-measured.',
    '',
    table(
      ['method', 'top-1', 'source'],
      [
        [
          '**grokcat reference model** (frozen MobileNetV2 trunk, linear heads)',
          `**${pct(fm.top1)}**`,
          'this run',
        ],
        ...fm.published.map((p) => [p.method, pct(p.top1), p.source]),
      ],
    ),
    '',
    `Per class: ${Object.entries(fm.per_class_top1)
      .map(([name, v]) => `${name} ${pct(v)}`)
      .join(', ')}.`,
    '',
    '![Fashion-MNIST against published results](quality-fashion-mnist.svg)',
    '',
    '### Canonicalization and prices on a marketplace with known truth',
    '',
    `\`grokcat demo\` made ${s.demo.summary.listings} listings of ${demo.products} products (re-taken photos, seller titles, prices from a price model); ` +
      `thresholds are chosen on one half of the products and scored on the other (${demo.test_listings} listings).`,
    '',
    table(
      ['method', 'pairwise precision', 'pairwise recall', 'pairwise F1', 'per-listing F1'],
      [
        ['the pipeline (cataloger, as it ran)', c.pipeline.test_half],
        ['fused image + title', c.fused],
        ['image embedding', c.image],
        ['title trigrams', c.text],
        ['pHash (baseline)', c.phash],
        ['dHash (baseline)', c.dhash],
      ].map(([name, m]) => {
        const r = m as {
          pairwise: { precision: number; recall: number; f1: number };
          per_listing: { f1: number };
        };
        return [
          name as string,
          pct(r.pairwise.precision),
          pct(r.pairwise.recall),
          pct(r.pairwise.f1),
          pct(r.per_listing.f1),
        ];
      }),
    ),
    '',
    `Price suggestions of the ${demo.price.held_out} held-out listings (median absolute percentage error against their true price): ` +
      `**${pct(demo.price.final_catalogue.mdape)}** against ${pct(demo.price.final_catalogue.baseline_category_median_mdape)} for the category median ` +
      `(on the final catalogue; as emitted at arrival ${pct(demo.price.as_emitted.mdape)} against ${pct(demo.price.as_emitted.baseline_category_median_mdape)}).`,
    '',
    '![canonicalization F1](quality-canonicalization.svg)',
    '',
    '### Real product photos (`../shared/datasets`)',
    '',
  ];
  const d = s.datasets as Record<string, unknown>;
  if (typeof d.skipped === 'string') {
    out.push(`Skipped: ${d.skipped}.`, '');
    return out;
  }
  const grocery = d['grocery-store'] as {
    listings: number;
    products: number;
    canonicalization: Record<
      string,
      { linkage?: string; pairwise: { f1: number }; per_listing: { f1: number } } | null
    >;
  };
  out.push(
    `grocery-store, every in-store photo a listing (${grocery.listings} test photos of ${grocery.products} products, threshold from the dev split): ` +
      `duplicates found by the image embedding, pairwise F1 **${pct(grocery.canonicalization.image?.pairwise.f1)}**` +
      // Reports from before 2026-12-01 clustered by single linkage alone and carry no `linkage`.
      (grocery.canonicalization.image?.linkage
        ? ` with ${grocery.canonicalization.image.linkage} linkage (single linkage ${pct(grocery.canonicalization.image_single_link?.pairwise.f1)})`
        : '') +
      ', ' +
      `against pHash ${pct(grocery.canonicalization.phash?.pairwise.f1)} and dHash ${pct(grocery.canonicalization.dhash?.pairwise.f1)}.`,
    '',
  );
  // Reports from before the hubness correction carry only the first four fields.
  const ikea = d['ikea-catalog'] as Pick<
    RoomSceneEvaluation,
    'room_scenes' | 'recall_at_5' | 'recall_at_5_whole_photo' | 'recall_at_5_chance'
  > &
    Partial<RoomSceneEvaluation>;
  out.push(
    `ikea-catalog room scenes as page photos (${ikea.room_scenes} scenes): recall@5 of the products each shows ${pct(ikea.recall_at_5)} ` +
      (ikea.recall_at_5_uncorrected === undefined
        ? ''
        : `hubness-corrected (uncorrected ${pct(ikea.recall_at_5_uncorrected)}; distinct products in the top 5s ${ikea.distinct_products_ranked} vs ${ikea.distinct_products_ranked_uncorrected}, ` +
          `the most frequent one in ${pct(ikea.top_product_share)} of them vs ${pct(ikea.top_product_share_uncorrected)}) `) +
      `(whole photo alone ${pct(ikea.recall_at_5_whole_photo)}, chance ${pct(ikea.recall_at_5_chance)})` +
      (ikea.regions ? `; crops: ${ikea.regions.source}.` : '.'),
    '',
  );
  // Reports from before 2026-12-01 have no visual search.
  const search = d['grocery-store-search'] as Awaited<ReturnType<typeof evaluateSearch>> | undefined;
  if (search) {
    const row = (name: string, m: SearchScores) =>
      `| ${name} | ${m.queries} / ${m.catalogue} | ${pct(m.recall_at_1_product)} | ${pct(m.precision_at_k_product)} (chance ${pct(m.chance_product)}) | ` +
      `${pct(m.precision_at_k_category)} (chance ${pct(m.chance_category)}) | ${m.products_ranked} of ${m.products_total}; ${pct(m.top_product_share)} |`;
    out.push(
      `Visual search on grocery-store's test split (\`grokcat eval search\`, ${search.model_version}): each in-store photo searches by embedding cosine.`,
      '',
      `| searched | queries / photos searched | same product recall@1 | same product precision@${search.catalogue.k} | same ${search.category_column} precision@${search.catalogue.k} | products ranked; top share |`,
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      row('the catalogue (one image per product)', search.catalogue),
      row('the other in-store photos (listings)', search.listings),
      '',
    );
  }
  const ref = d.reference as ReferenceEvaluation | undefined;
  if (ref) {
    out.push(
      '### The served model on real photos, untrained (`grokcat eval reference`)',
      '',
      table(
        [
          'test photos',
          'rows',
          'top-1 (unknown = wrong)',
          'right when answering',
          'majority class',
          'declared unknown',
        ],
        [
          [
            'fashion-small, the ten Fashion-MNIST classes',
            ref.fashion_small_rows,
            pct(ref.fashion_small_top1),
            pct(ref.fashion_small_top1_answered),
            pct(ref.fashion_small_majority_top1),
            pct(ref.fashion_small_false_unknown),
          ],
          ['grocery-store (no garments)', ref.grocery_rows, '-', '-', '-', pct(ref.grocery_unknown_rate)],
          ['ikea-catalog (no garments)', ref.ikea_rows, '-', '-', '-', pct(ref.ikea_unknown_rate)],
        ],
      ),
      '',
    );
  }
  const trained = d.trained_heads as Record<
    string,
    { train_rows: number; eval_rows: number; metrics: Record<string, number> } | string
  >;
  if (typeof trained.skipped === 'string') {
    out.push(`Heads trained per dataset: ${trained.skipped}.`, '');
  } else {
    out.push(
      "Category accuracy needs heads for the dataset's own categories: `grokcat train --dataset <dir>` trains them with GrokNet's losses on the dev split; measured on the test split:",
      '',
      table(
        [
          'dataset',
          'train / eval rows',
          'category top-1',
          'nearest class mean',
          'majority',
          'ceiling',
          'top-1 on train',
          'top-5',
          'attribute mAP',
          'query recall@10',
          'product recall@1 (queries)',
          'unknown (known / unseen categories)',
        ],
        Object.entries(trained).map(([name, t]) => {
          const r = t as { train_rows: number; eval_rows: number; metrics: Record<string, number> };
          return [
            name,
            `${r.train_rows} / ${r.eval_rows}`,
            `**${pct(r.metrics.category_top1)}**`,
            pct(r.metrics.category_ncm_top1),
            pct(r.metrics.category_majority_top1),
            pct(r.metrics.category_ceiling),
            pct(r.metrics.train_category_top1),
            pct(r.metrics.category_top5),
            pct(r.metrics.attribute_map),
            pct(r.metrics.query_recall_at_10),
            `${pct(r.metrics.product_recall_at_1)} (${num(r.metrics.product_queries, 0)})`,
            `${pct(r.metrics.unknown_rate)} / ${pct(r.metrics.unknown_rate_unseen)}`,
          ];
        }),
      ),
      '',
    );
  }
  if (typeof trained.skipped !== 'string') {
    out.push(
      "fashion-small and ikea-catalog have one photo per product (byte-identical copies under several ids are never queries), so their product recall@1 is measured on augmented views of each photo; grocery-store matches in-store photos to unseen products' catalogue images. " +
        'The ceiling is the share of test rows whose category occurs in training: ikea-catalog has 677 product types split by family, most unseen in training (docs/training.md).',
      '',
    );
  }
  out.push(`Prices: ${String(d.prices)}.`, '');
  return out;
}
