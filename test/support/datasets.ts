import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared/datasets` beside the checkout, when this machine has it; tests skip without it. */
export function datasetsDir(): string | null {
  const dir = path.resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared', 'datasets');
  return existsSync(path.join(dir, 'README.md')) ? dir : null;
}

export interface DatasetRow {
  image: string;
  split: string;
  [column: string]: string;
}

/** Rows of a dataset's labels.csv (simple CSV with quoted fields). */
export function readLabels(dataset: string): DatasetRow[] {
  const dir = datasetsDir();
  if (!dir) return [];
  const text = readFileSync(path.join(dir, dataset, 'labels.csv'), 'utf8');
  const rows = parseCsv(text);
  const [header, ...body] = rows;
  return body.map(
    (cells) => Object.fromEntries((header ?? []).map((name, i) => [name, cells[i] ?? ''])) as DatasetRow,
  );
}

export function imagePath(dataset: string, image: string): string {
  return path.join(datasetsDir() ?? '', dataset, image);
}

function parseCsv(text: string): string[][] {
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
