import { applyIsotonic } from '../training/calibration.ts';
import { attributeLabels, type ModelCard } from './grok/model-card.ts';

export interface Prediction {
  /** False: the photo lies outside what the model knows (card open_set); category not to be trusted. */
  known: boolean;
  /** The model's novelty score (null: the model has no open-set output). */
  novelty: number | null;
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
  /** Distance from the training photos (models with an open-set output). */
  novelty?: number;
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

/** Whether the card's open-set rule accepts a novelty score (models without one know everything). */
export const isKnown = (card: ModelCard, novelty: number | undefined) =>
  !card.open_set || novelty === undefined || novelty <= card.open_set.threshold;

/**
 * One image's raw model outputs into a prediction, using the card's labels and thresholds. An
 * unknown photo keeps its ranked categories (for the curious) but no attributes or queries: they
 * would restate a category the model does not believe.
 */
export function postprocess(card: ModelCard, raw: RawOutputs, topK = 5): Prediction {
  const known = isKnown(card, raw.novelty);
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
    known,
    novelty: raw.novelty === undefined ? null : round(raw.novelty),
    category: categories[0] ?? { label: 'unknown', confidence: 0 },
    top_categories: categories.slice(0, topK),
    attributes: known ? attributes : [],
    queries: known ? queries : [],
    embedding: [...raw.embedding],
    binary_code: binaryCode(raw.embedding),
  };
}
