/** Number formats and tables of the benchmark report's Markdown. */

/** A share as "12.3 %", or "-" where there is none. */
export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)} %`;

/** A number with thousands separators and at most `digits` decimals, or "-" where there is none. */
export const num = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || Number.isNaN(x)
    ? '-'
    : x.toLocaleString('en-US', { maximumFractionDigits: digits });

const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

/** A Markdown table: the first column left-aligned, the others right-aligned. */
export const table = (head: string[], rows: (string | number)[][]) =>
  [row(head), row(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(row)].join('\n');
