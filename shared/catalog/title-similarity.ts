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

/** Cosine similarity of two titles' trigram vectors, in [0, 1]; 0 when either is empty. */
export function titleSimilarity(a: string | Map<string, number>, b: string | Map<string, number>): number {
  const x = typeof a === 'string' ? titleTrigrams(a) : a;
  const y = typeof b === 'string' ? titleTrigrams(b) : b;
  if (x.size === 0 || y.size === 0) return 0;
  let dot = 0;
  for (const [gram, count] of x) dot += count * (y.get(gram) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((sum, c) => sum + c * c, 0));
  return dot / (norm(x) * norm(y));
}

/** How image and title similarity combine into the matching score (weights sum to 1). */
export function fusedSimilarity(image: number, text: number, textWeight: number): number {
  return (1 - textWeight) * image + textWeight * text;
}
