import { readFileSync } from 'node:fs';

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

/** A CSV file with a header row as records by column name; blank lines are skipped. */
export function readCsvRecords(file: string): { header: string[]; rows: Record<string, string>[] } {
  const [header = [], ...body] = parseCsv(readFileSync(file, 'utf8'));
  const rows = body
    .filter((cells) => cells.length > 1)
    .map((cells) => Object.fromEntries(header.map((column, i) => [column, cells[i] ?? ''])));
  return { header, rows };
}
