import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { readCsvRecords } from './csv.ts';
import { attributeKey, type LabelledDataset, type LabelledImage } from './labelled-dataset.ts';

/** Category columns tried in order when none is named (docs/training.md, "Dataset folders"). */
// top_category before coarse_category: grocery's coarse categories, split by product, put 37 % of
// test rows in categories training never saw.
export const CATEGORY_COLUMNS = [
  'category',
  'article_type',
  'top_category',
  'coarse_category',
  'product_type',
];
export const ATTRIBUTE_COLUMNS = [
  'gender',
  'master_category',
  'sub_category',
  'base_colour',
  'season',
  'usage',
  'top_category',
  'colour_material',
];
const TRAIN_SPLITS = new Set(['train', 'dev']);
const EVAL_SPLITS = new Set(['test', 'eval']);
const MISSING = new Set(['', 'NA', 'N/A']);
const STOPWORDS = new Set([
  'and',
  'the',
  'for',
  'with',
  'men',
  'women',
  'unisex',
  'boys',
  'girls',
  'set',
  'pack',
]);

export interface FolderOptions {
  categoryColumn?: string;
  attributeColumns?: string[];
  /** A label must occur this often in training to be learned. */
  minLabelCount?: number;
  maxQueries?: number;
}

const tokens = (title: string) =>
  [...new Set(title.toLowerCase().split(/[^\p{L}\p{N}]+/u))].filter(
    (t) => t.length >= 3 && !STOPWORDS.has(t) && !/^\d+$/.test(t),
  );

/**
 * A dataset folder in the format of `../shared/datasets`: `labels.csv` (one row per image) beside
 * the images. Rows of split train/dev train, test/eval evaluate, others (holdout) are left out.
 */
export function readDatasetFolder(dir: string, options: FolderOptions = {}): LabelledDataset {
  const file = path.join(dir, 'labels.csv');
  if (!existsSync(file))
    throw new GrokcatError('USAGE_INVALID', `${dir} has no labels.csv (see docs/training.md)`);
  const { header, rows } = readCsvRecords(file);
  for (const column of ['image', 'split']) {
    if (!header.includes(column))
      throw new GrokcatError('USAGE_INVALID', `${file} has no "${column}" column`);
  }
  const categoryColumn = options.categoryColumn ?? CATEGORY_COLUMNS.find((c) => header.includes(c));
  if (categoryColumn && !header.includes(categoryColumn))
    throw new GrokcatError('USAGE_INVALID', `${file} has no "${categoryColumn}" column`);
  const attributeColumns =
    options.attributeColumns ?? ATTRIBUTE_COLUMNS.filter((c) => header.includes(c) && c !== categoryColumn);
  const missing = attributeColumns.filter((c) => !header.includes(c));
  if (missing.length > 0)
    throw new GrokcatError('USAGE_INVALID', `${file} has no columns ${missing.join(', ')}`);
  const minCount = options.minLabelCount ?? 3;

  const kept = rows.filter((r) => TRAIN_SPLITS.has(r.split ?? '') || EVAL_SPLITS.has(r.split ?? ''));
  const isTrain = (r: Record<string, string>) => TRAIN_SPLITS.has(r.split ?? '');
  const attributesOf = (r: Record<string, string>) =>
    attributeColumns.flatMap((column) =>
      (column === 'colour_material' ? (r[column] ?? '').split(',') : [r[column] ?? ''])
        .map((v) => v.trim())
        .filter((v) => !MISSING.has(v))
        .map((v) => attributeKey(column, v)),
    );
  const count = (values: string[]) => {
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    return counts;
  };
  const trainRows = kept.filter(isTrain);
  const categoryCounts = count(trainRows.map((r) => (categoryColumn ? (r[categoryColumn] ?? '') : '')));
  const categories = [...categoryCounts.keys()].filter((c) => !MISSING.has(c)).sort();
  const attributeCounts = count(trainRows.flatMap(attributesOf));
  const queryCounts = count(trainRows.flatMap((r) => tokens(r.title ?? '')));
  const queries = [...queryCounts.entries()]
    .filter(([, n]) => n >= minCount)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, options.maxQueries ?? 256)
    .map(([q]) => q);
  const attributeGroups = attributeColumns
    .map((name) => ({
      name,
      labels: [...attributeCounts.entries()]
        .filter(([key, n]) => key.startsWith(`${name}=`) && n >= minCount)
        .map(([key]) => key.slice(name.length + 1))
        .sort(),
    }))
    .filter((g) => g.labels.length > 0);
  const known = new Set(attributeGroups.flatMap((g) => g.labels.map((l) => attributeKey(g.name, l))));
  const vocabulary = new Set(queries);

  // Byte-identical images listed under several ids are one product (duplicate listings).
  const productOfGroup = new Map<string, string>();
  const images: LabelledImage[] = kept.map((r) => {
    const imagePath = path.join(dir, r.image ?? '');
    if (!existsSync(imagePath))
      throw new GrokcatError('USAGE_INVALID', `${file}: image ${r.image} is missing`);
    const group = r.same_image_group ?? '';
    let product = r.product_id || null;
    if (group && product) {
      if (!productOfGroup.has(group)) productOfGroup.set(group, product);
      product = productOfGroup.get(group) ?? product;
    }
    const category = categoryColumn ? (r[categoryColumn] ?? '') : '';
    return {
      key: createHash('sha256').update(readFileSync(imagePath)).digest('hex'),
      source: { kind: 'file', path: imagePath },
      split: isTrain(r) ? 'train' : 'eval',
      category: MISSING.has(category) ? null : category,
      attributes: attributesOf(r).filter((a) => known.has(a)),
      queries: tokens(r.title ?? '').filter((t) => vocabulary.has(t)),
      product,
      iconic: r.image_type === 'iconic',
    };
  });
  const name = path.basename(path.resolve(dir));
  return {
    name,
    images,
    categories,
    attributeGroups,
    queries,
    description:
      `${name}: ${trainRows.length} training images; categories from "${categoryColumn ?? 'none'}", ` +
      `attributes from ${attributeColumns.join(', ') || 'none'}, queries from title words`,
  };
}
