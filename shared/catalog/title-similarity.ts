/**
 * Title similarity for product matching: cosine of character-trigram count vectors of the
 * normalised titles (lower case, accents and punctuation dropped, each word padded), as the Shopee
 * product-matching entries used TF-IDF over titles beside image embeddings. Trigrams make it robust
 * to typos, plurals and word order ("Nike air max 90 white" vs "white nike airmax 90").
 */
export function titleTrigrams(title: string): Map<string, number> {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  const grams = new Map<string, number>();
  for (const word of words) {
    const padded = ` ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) {
      const gram = padded.slice(i, i + 3);
      grams.set(gram, (grams.get(gram) ?? 0) + 1);
    }
  }
  return grams;
}

/**
 * Trigrams of titles seen lately. The cataloger compares every listing with up to
 * AGREEMENT_MEMBERS members and its neighbours, whose titles recur from listing to listing:
 * rebuilding their trigrams cost 1.5 ms of the main thread per listing. Bounded: cleared when full.
 */
const recent = new Map<string, Map<string, number>>();
const RECENT_TITLES = 20_000;
const norms = new WeakMap<Map<string, number>, number>();

function trigramsOf(title: string): Map<string, number> {
  let grams = recent.get(title);
  if (!grams) {
    if (recent.size >= RECENT_TITLES) recent.clear();
    grams = titleTrigrams(title);
    recent.set(title, grams);
  }
  return grams;
}

function normOf(v: Map<string, number>): number {
  let norm = norms.get(v);
  if (norm === undefined) {
    let sum = 0;
    for (const c of v.values()) sum += c * c;
    norm = Math.sqrt(sum);
    norms.set(v, norm);
  }
  return norm;
}

/** Cosine similarity of two titles' trigram vectors, in [0, 1]; 0 when either is empty. */
export function titleSimilarity(a: string | Map<string, number>, b: string | Map<string, number>): number {
  const x = typeof a === 'string' ? trigramsOf(a) : a;
  const y = typeof b === 'string' ? trigramsOf(b) : b;
  if (x.size === 0 || y.size === 0) return 0;
  const [small, large] = x.size <= y.size ? [x, y] : [y, x];
  let dot = 0;
  for (const [gram, count] of small) dot += count * (large.get(gram) ?? 0);
  return dot / (normOf(x) * normOf(y));
}

/** How image and title similarity combine into the matching score (weights sum to 1). */
export function fusedSimilarity(image: number, text: number, textWeight: number): number {
  return (1 - textWeight) * image + textWeight * text;
}
