import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsvRecords } from '../../shared/training/csv.ts';

/**
 * The labelled product-photo sets in `../shared/datasets` (beside the checkout), for benchmarks and
 * tests only: the product never reads them. Each has images/ and labels.csv with a dev/test split.
 */
export const DEFAULT_DATASETS_DIR = path.resolve(
  fileURLToPath(new URL('../../', import.meta.url)),
  '..',
  'shared',
  'datasets',
);

export interface DatasetRow {
  image: string;
  split: string;
  [column: string]: string;
}

export function datasetsAvailable(dir: string = DEFAULT_DATASETS_DIR): boolean {
  return existsSync(path.join(dir, 'README.md'));
}

export function readDataset(name: string, dir: string = DEFAULT_DATASETS_DIR): DatasetRow[] {
  return readCsvRecords(path.join(dir, name, 'labels.csv')).rows as DatasetRow[];
}

export function datasetImagePath(name: string, image: string, dir: string = DEFAULT_DATASETS_DIR): string {
  return path.join(dir, name, image);
}
