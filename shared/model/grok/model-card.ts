import { z } from 'zod';
import { GrokcatError } from '../../errors/error-catalogue.ts';

/**
 * The model card: everything a consumer of a grokcat model needs besides the ONNX file. See
 * docs/model-contract.md. Any ONNX model with such a card can be served (GROKCAT_MODEL=path).
 */
export const modelCardSchema = z.object({
  format: z.literal('grokcat-model-card/1'),
  version: z.string().min(1),
  created_at: z.string(),
  description: z.string(),
  input: z.object({
    name: z.string(),
    size: z.number().int().positive(),
    layout: z.literal('NCHW'),
    /** After scaling pixels to [0, 1]: (x - mean) / std per RGB channel. */
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number(), z.number(), z.number()]),
    fit: z.enum(['contain', 'cover']),
  }),
  outputs: z.object({
    embedding: z.string(),
    category: z.string(),
    attributes: z.string(),
    queries: z.string(),
    /** [N, 1]: how far the photo lies from the training photos (see open_set). */
    novelty: z.string().optional(),
  }),
  /**
   * Open-set answers: a photo whose novelty exceeds the threshold is outside what the model knows;
   * its category is declared unknown and its attributes and queries withheld (docs/model.md).
   */
  open_set: z
    .object({
      method: z.string(),
      threshold: z.number().positive(),
      /** What the threshold was chosen on, for the reader. */
      chosen_on: z.string(),
    })
    .optional(),
  embedding_dim: z.number().int().positive(),
  /**
   * Which embedding projection produced the embeddings: versions that share it may be compared in
   * one nearest-neighbour query; a new space needs a backfill. Absent: the version itself.
   */
  embedding_space: z.string().min(1).optional(),
  categories: z.object({
    labels: z.array(z.string()).min(1),
    /** Isotonic map of the top category's softmax probability to a calibrated one (see docs/training.md). */
    calibration: z.object({ x: z.array(z.number()), y: z.array(z.number().min(0).max(1)) }).optional(),
  }),
  attributes: z.object({
    groups: z.array(z.object({ name: z.string(), labels: z.array(z.string()).min(1) })),
    /** One per attribute label, in the flattened order of groups and labels. */
    thresholds: z.array(z.number().min(0).max(1)),
  }),
  queries: z.object({ vocabulary: z.array(z.string()), thresholds: z.array(z.number().min(0).max(1)) }),
  trunk: z.object({ name: z.string(), cut: z.string(), macs_per_image: z.number() }),
  gem_p: z.number().positive(),
  training: z.object({ data: z.string(), samples: z.number().int().nonnegative(), command: z.string() }),
  metrics: z.record(z.string(), z.number()),
  recognises: z.string(),
  limitations: z.string(),
});

export type ModelCard = z.infer<typeof modelCardSchema>;

/** The embedding space of a card's embeddings (never mix two in one nearest-neighbour query). */
export const embeddingSpace = (card: ModelCard) => card.embedding_space ?? card.version;

export function attributeLabels(card: ModelCard): { group: string; label: string }[] {
  return card.attributes.groups.flatMap((group) =>
    group.labels.map((label) => ({ group: group.name, label })),
  );
}

/** Parses and cross-checks a card; every problem is named in one error. */
export function parseModelCard(json: unknown, source: string): ModelCard {
  const parsed = modelCardSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new GrokcatError('MODEL_INVALID', `model card ${source} is not valid: ${problems.join('; ')}`);
  }
  const card = parsed.data;
  const problems: string[] = [];
  if (card.attributes.thresholds.length !== attributeLabels(card).length) {
    problems.push(
      `attributes.thresholds has ${card.attributes.thresholds.length} entries for ${attributeLabels(card).length} labels`,
    );
  }
  if (card.queries.thresholds.length !== card.queries.vocabulary.length) {
    problems.push(
      `queries.thresholds has ${card.queries.thresholds.length} entries for ${card.queries.vocabulary.length} queries`,
    );
  }
  if (card.open_set && !card.outputs.novelty) problems.push('open_set needs outputs.novelty');
  if (problems.length > 0)
    throw new GrokcatError('MODEL_INVALID', `model card ${source}: ${problems.join('; ')}`);
  return card;
}
