/** One hostile or broken input and what grokcat must do with it. */
export interface CorpusCase {
  id: string;
  /** Where it enters: an uploaded image, a photo URL in a listing, a raw event, a title, an API request. */
  kind: 'image' | 'url' | 'event' | 'title' | 'api';
  name: string;
  /** The outcome, in words, for the table in docs/security.md. */
  expected: string;
  /** Runs the case against the live system and says what happened. */
  run(): Promise<Outcome>;
}

export interface Outcome {
  /** What grokcat answered, in words: status or verdict, code and reason. */
  observed: string;
  pass: boolean;
}

/** A readable, stable one-line form of a reason: first line, no ports or temp paths, bounded. */
export function tidy(text: string, max = 140): string {
  const line = (text.split('\n')[0] ?? '')
    .replace(/127\.0\.0\.(\d):\d+/g, '127.0.0.$1:PORT')
    .replace(/localhost:\d+/g, 'localhost:PORT')
    .replace(/%3A\d{4,5}(?=%2F)/g, '%3APORT')
    .replace(/(\]|\d):\d{4,5}(?=[/)\s]|$)/g, '$1:PORT')
    .replace(/\/tmp\/[^\s"')]+/g, '/tmp/...');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The outcome of a check: `observed` in the table, passing when `ok`. */
export const outcome = (ok: boolean, observed: string): Outcome => ({ pass: ok, observed: tidy(observed) });

/** The docs/security.md table of every case with what it showed. */
export function renderTable(rows: { c: CorpusCase; o: Outcome }[]): string {
  const header = '| # | Kind | Case | Expected | Observed | Pass |\n|---|---|---|---|---|---|';
  const lines = rows.map(
    ({ c, o }, i) =>
      `| ${i + 1} | ${c.kind} | ${c.name} | ${c.expected} | ${o.observed.replace(/\|/g, '\\|')} | ${o.pass ? 'yes' : '**no**'} |`,
  );
  return [header, ...lines].join('\n');
}
