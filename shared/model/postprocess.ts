import { applyIsotonic } from '../training/calibration.ts';
import { attributeLabels, type ModelCard } from './grok/model-card.ts';

export interface Prediction {
  category: { label: string; confidence: number };
  top_categories: { label: string; confidence: number }[];
  attributes: { group: string; label: string; confidence: number }[];
  queries: { query: string; confidence: number }[];
  embedding: number[];
  /** Sign bits of the embedding as hex (GrokNet served a 256-bit code for fast pre-filtering). */
  binary_code: string;
}

export interface RawOutputs {
  embedding: Float32Array;
  category: Float32Array;
  attributes: Float32Array;
  queries: Float32Array;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

/** Bit i is set when embedding[i] > 0; bytes in order, most significant bit first. */
export function binaryCode(embedding: Float32Array): string {
  const bytes = new Uint8Array(Math.ceil(embedding.length / 8));
  embedding.forEach((value, i) => {
    if (value > 0) bytes[i >> 3] = (bytes[i >> 3] as number) | (0x80 >> (i & 7));
  });
  return Buffer.from(bytes).toString('hex');
}

/** Hamming distance of two hex codes of equal length. */
export function hammingDistance(a: string, b: string): number {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  let distance = 0;
  for (let i = 0; i < x.length; i++) {
    let v = (x[i] as number) ^ (y[i] as number);
    while (v) {
      distance += v & 1;
      v >>= 1;
    }
  }
  return distance;
}

/** One image's raw model outputs into a prediction, using the card's labels and thresholds. */
export function postprocess(card: ModelCard, raw: RawOutputs, topK = 5): Prediction {
  const categories = [...raw.category]
    .map((confidence, i) => ({
      label: card.categories.labels[i] ?? `#${i}`,
      // Calibration is monotone: it changes confidences, never the ranking.
      confidence: round(applyIsotonic(card.categories.calibration, confidence)),
    }))
    .sort((a, b) => b.confidence - a.confidence);
  const attributes = attributeLabels(card)
    .map((entry, i) => ({
      ...entry,
      confidence: round(raw.attributes[i] ?? 0),
      threshold: card.attributes.thresholds[i] ?? 0.5,
    }))
    .filter((entry) => entry.confidence >= entry.threshold)
    .sort((a, b) => b.confidence - a.confidence)
    .map(({ threshold: _, ...entry }) => entry);
  const queries = card.queries.vocabulary
    .map((query, i) => ({
      query,
      confidence: round(raw.queries[i] ?? 0),
      threshold: card.queries.thresholds[i] ?? 0.5,
    }))
    .filter((entry) => entry.confidence >= entry.threshold)
    .sort((a, b) => b.confidence - a.confidence)
    .map(({ threshold: _, ...entry }) => entry);
  return {
    category: categories[0] ?? { label: 'unknown', confidence: 0 },
    top_categories: categories.slice(0, topK),
    attributes,
    queries,
    embedding: [...raw.embedding],
    binary_code: binaryCode(raw.embedding),
  };
}
