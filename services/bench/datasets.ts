import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  const [header, ...body] = parseCsv(readFileSync(path.join(dir, name, 'labels.csv'), 'utf8'));
  return body
    .filter((cells) => cells.length > 1)
    .map(
      (cells) =>
        Object.fromEntries((header ?? []).map((column, i) => [column, cells[i] ?? ''])) as DatasetRow,
    );
}

export function datasetImagePath(name: string, image: string, dir: string = DEFAULT_DATASETS_DIR): string {
  return path.join(dir, name, image);
}

/** RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell || row.length > 0) rows.push([...row, cell]);
  return rows;
}
