import { GrokcatError } from '../../errors/error-catalogue.ts';
import type { OnnxGraph } from '../onnx/onnx-graph.ts';
import { convertKerasTrunk } from '../trunk/keras-to-onnx.ts';
import { loadNsfwjsModel, type TrunkName } from '../trunk/nsfwjs-models.ts';
import type { Dense, HeadWeights } from './head-weights.ts';

/** Clamp before GeM's power: feature maps after ReLU are >= 0, and x^p needs x > 0. */
const GEM_EPSILON = 1e-6;

export const OUTPUTS = {
  embedding: 'embedding',
  category: 'category',
  attributes: 'attributes',
  queries: 'queries',
  novelty: 'novelty',
} as const;

/**
 * GeM pooling, (mean over pixels of max(x, eps)^p)^(1/p), then L2 normalisation: the shared feature
 * [N, F] every head reads (Radenović et al., "Fine-tuning CNN Image Retrieval with No Human
 * Annotation", 2018; GrokNet uses it for all its heads).
 */
export function appendGemPooling(graph: OnnxGraph, feature: string, gemP: number): string {
  const eps = graph.initializer('gem_eps', [], new Float32Array([GEM_EPSILON]));
  const p = graph.initializer('gem_p', [], new Float32Array([gemP]));
  const clamped = graph.node('Max', [feature, eps], ['gem_clamped']);
  const powered = graph.node('Pow', [clamped, p], ['gem_pow']);
  const mean = graph.node('ReduceMean', [powered], ['gem_mean'], { axes: [2, 3], keepdims: 0 });
  const inverse = graph.node('Reciprocal', [p], ['gem_inverse_p']);
  const pooled = graph.node('Pow', [mean, inverse], ['gem_pooled']);
  return graph.node('LpNormalization', [pooled], ['shared_feature'], { axis: 1, p: 2 });
}

/**
 * Appends GrokNet's pooling and heads to a trunk feature map [N, F, H, W]:
 * GeM pooling (learned p) -> L2-normalised shared feature h [N, F] -> embedding (projection to D,
 * L2-normalised), category (softmax), attributes and queries (sigmoid, multi-label).
 */
export function appendGrokHeads(
  graph: OnnxGraph,
  feature: string,
  channels: number,
  heads: HeadWeights,
): void {
  for (const [name, dense] of Object.entries({
    embedding: heads.embedding,
    category: heads.category,
    attributes: heads.attributes,
    queries: heads.queries,
    ...(heads.novelty ? { novelty: heads.novelty } : {}),
  })) {
    if (dense.inputs !== channels) {
      throw new GrokcatError(
        'MODEL_INVALID',
        `${name} head takes ${dense.inputs} inputs, the trunk gives ${channels}`,
      );
    }
  }
  const shared = appendGemPooling(graph, feature, heads.gemP);

  const dense = (name: string, layer: Dense) =>
    graph.node(
      'Gemm',
      [
        shared,
        graph.initializer(`${name}_w`, [layer.inputs, layer.outputs], layer.weight),
        graph.initializer(`${name}_b`, [layer.outputs], layer.bias),
      ],
      [`${name}_logits`],
    );
  graph.node('LpNormalization', [dense('embedding', heads.embedding)], [OUTPUTS.embedding], {
    axis: 1,
    p: 2,
  });
  graph.node('Softmax', [dense('category', heads.category)], [OUTPUTS.category], { axis: 1 });
  graph.node('Sigmoid', [dense('attributes', heads.attributes)], [OUTPUTS.attributes]);
  graph.node('Sigmoid', [dense('queries', heads.queries)], [OUTPUTS.queries]);
  graph.output(OUTPUTS.embedding, ['N', heads.embedding.outputs]);
  graph.output(OUTPUTS.category, ['N', heads.category.outputs]);
  graph.output(OUTPUTS.attributes, ['N', heads.attributes.outputs]);
  graph.output(OUTPUTS.queries, ['N', heads.queries.outputs]);
  if (heads.novelty) {
    // mean((h P + b)^2): the Mahalanobis distance of open-set.ts, one number per photo.
    const projected = dense('novelty', heads.novelty);
    const squared = graph.node('Mul', [projected, projected], ['novelty_squared']);
    graph.node('ReduceMean', [squared], [OUTPUTS.novelty], { axes: [1], keepdims: 1 });
    graph.output(OUTPUTS.novelty, ['N', 1]);
  }
}

/** The unified model: trunk and heads in ONE ONNX graph, as GrokNet serves one forward pass per photo. */
export function exportGrokModel(args: {
  trunk: TrunkName;
  cut: string;
  heads: HeadWeights;
  metadata: Record<string, string>;
}) {
  const converted = convertKerasTrunk(loadNsfwjsModel(args.trunk), args.cut);
  const [channels] = converted.featureShape;
  appendGrokHeads(converted.graph, converted.output, channels, args.heads);
  const h = args.heads;
  const headMacs = [
    h.embedding,
    h.category,
    h.attributes,
    h.queries,
    ...(h.novelty ? [h.novelty] : []),
  ].reduce((sum, d) => sum + d.inputs * d.outputs, 0);
  return {
    bytes: converted.graph.toBytes(args.metadata),
    macs: converted.macs + headMacs,
    inputSize: converted.inputSize,
    featureShape: converted.featureShape,
  };
}
