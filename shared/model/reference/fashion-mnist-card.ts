import type { ModelCard } from '../grok/model-card.ts';
import { FASHION_MNIST_CLASSES } from './fashion-mnist.ts';
import { REFERENCE_ATTRIBUTES, REFERENCE_QUERIES } from './reference-taxonomy.ts';

const RECOGNISES =
  'The ten Fashion-MNIST categories (T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot) ' +
  'on a plain light background, and attributes and queries derived from them (body zone, season, category synonyms).';

const LIMITATIONS =
  'Trained on Fashion-MNIST thumbnails and renders of them: on real product photos it is right on few (docs/model.md) and ' +
  'declares most of them unknown, as it does furniture, groceries and anything else unlike its training images. Attributes and ' +
  'queries only restate the category: no colour, material or pattern. Trained on 28x28 grey images: colour and fine detail ' +
  'are not used. The embedding is a learned whitening of the trunk features with two photos of each Fashion-MNIST ' +
  'training image as a product (no product labels): it tells products apart by shape and colour, not by brand or fine print.';

/** The card of any model whose heads were trained on Fashion-MNIST with the reference taxonomy. */
export function fashionMnistCard(parts: {
  version: string;
  description: string;
  inputSize: number;
  embeddingDim: number;
  trunk: ModelCard['trunk'];
  gemP: number;
  training: ModelCard['training'];
  metrics: Record<string, number>;
  attributeThresholds?: number[];
  queryThresholds?: number[];
  calibration?: NonNullable<ModelCard['categories']['calibration']>;
  openSet?: NonNullable<ModelCard['open_set']>;
}): ModelCard {
  const groups = [...new Set(REFERENCE_ATTRIBUTES.map((a) => a.group))].map((name) => ({
    name,
    labels: REFERENCE_ATTRIBUTES.filter((a) => a.group === name).map((a) => a.label),
  }));
  return {
    format: 'grokcat-model-card/1',
    version: parts.version,
    created_at: new Date().toISOString(),
    description: parts.description,
    input: {
      name: 'image',
      size: parts.inputSize,
      layout: 'NCHW',
      mean: [0, 0, 0],
      std: [1, 1, 1],
      fit: 'contain',
    },
    outputs: {
      embedding: 'embedding',
      category: 'category',
      attributes: 'attributes',
      queries: 'queries',
      ...(parts.openSet ? { novelty: 'novelty' } : {}),
    },
    ...(parts.openSet ? { open_set: parts.openSet } : {}),
    embedding_dim: parts.embeddingDim,
    categories: {
      labels: [...FASHION_MNIST_CLASSES],
      ...(parts.calibration ? { calibration: parts.calibration } : {}),
    },
    attributes: { groups, thresholds: parts.attributeThresholds ?? REFERENCE_ATTRIBUTES.map(() => 0.5) },
    queries: {
      vocabulary: REFERENCE_QUERIES.map((q) => q.query),
      thresholds: parts.queryThresholds ?? REFERENCE_QUERIES.map(() => 0.5),
    },
    trunk: parts.trunk,
    gem_p: parts.gemP,
    training: parts.training,
    metrics: Object.fromEntries(Object.entries(parts.metrics).map(([k, v]) => [k, Number(v.toFixed(4))])),
    recognises: RECOGNISES,
    limitations: LIMITATIONS,
  };
}
