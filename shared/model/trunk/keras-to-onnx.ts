import { GrokcatError } from '../../errors/error-catalogue.ts';
import { createOnnxGraph, type OnnxGraph } from '../onnx/onnx-graph.ts';
import type { KerasLayer, KerasModel } from './nsfwjs-models.ts';

/**
 * Our converter from Keras (the layers nsfwjs's MobileNetV2 and InceptionV3 use) to an ONNX graph
 * in NCHW, cut at a convolutional feature map. BatchNormalization is folded into the convolution
 * before it and ZeroPadding2D into the padding of the convolution after it, so the graph is only
 * Conv, Clip/Relu, Add, Concat and pooling.
 */
export interface FeatureMap {
  layer: string;
  /** Name of the NCHW feature-map tensor in the graph. */
  tensor: string;
  /** [channels, height, width]. */
  shape: [number, number, number];
}

export interface ConvertedTrunk {
  graph: OnnxGraph;
  /** Name of the NCHW feature-map output tensor (of the first cut). */
  output: string;
  /** [channels, height, width] of the feature map (of the first cut). */
  featureShape: [number, number, number];
  /** Every requested cut, in the order asked. */
  featureMaps: FeatureMap[];
  inputSize: number;
  /** Multiply-accumulates per image, for FLOP counts. */
  macs: number;
}

interface Tensor {
  name: string;
  /** NHWC spatial shape as Keras sees it: [height, width, channels]. */
  shape: [number, number, number];
}

type Pads = [number, number, number, number]; // top, left, bottom, right

const inboundOf = (layer: KerasLayer): string[] => (layer.inbound_nodes[0] ?? []).map((entry) => entry[0]);

/** TensorFlow's 'same' padding: out = ceil(in / stride), the odd pixel of padding at the end. */
function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export function convertKerasTrunk(model: KerasModel, cutLayers: string | string[]): ConvertedTrunk {
  const cuts = Array.isArray(cutLayers) ? cutLayers : [cutLayers];
  const layers = model.modelTopology.model_config.config.layers;
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const consumers = new Map<string, string[]>();
  for (const layer of layers) {
    for (const source of inboundOf(layer))
      consumers.set(source, [...(consumers.get(source) ?? []), layer.name]);
  }
  const soleConsumer = (name: string): KerasLayer | undefined => {
    const list = consumers.get(name) ?? [];
    return list.length === 1 ? byName.get(list[0] as string) : undefined;
  };
  const weight = (name: string) => model.weights.get(name);
  const need = (name: string) => {
    const found = weight(name);
    if (!found) throw new GrokcatError('MODEL_CONVERSION_FAILED', `weight ${name} is missing from the model`);
    return found;
  };

  const graph = createOnnxGraph(`${model.name}-trunk`);
  const tensors = new Map<string, Tensor>();
  const folded = new Set<string>(); // BatchNormalization and ZeroPadding2D layers merged into a Conv
  const pendingPads = new Map<string, Pads>(); // conv layer -> pads from a ZeroPadding2D before it
  let macs = 0;
  let inputSize = 0;

  const tensorOf = (layer: KerasLayer, index = 0): Tensor => {
    const source = inboundOf(layer)[index];
    const tensor = source === undefined ? undefined : tensors.get(source);
    if (!tensor)
      throw new GrokcatError('MODEL_CONVERSION_FAILED', `${layer.name}: input ${source} was not converted`);
    return tensor;
  };

  for (const layer of layers) {
    if (cuts.every((cut) => tensors.has(cut))) break;
    if (folded.has(layer.name)) continue;
    const config = layer.config;
    const out = graph.unique(layer.name.replace(/[^A-Za-z0-9_]/g, '_'));
    switch (layer.class_name) {
      case 'InputLayer': {
        const [, h, w, c] = config.batch_input_shape as [null, number, number, number];
        inputSize = h;
        graph.input('image', ['N', c, h, w]);
        tensors.set(layer.name, { name: 'image', shape: [h, w, c] });
        break;
      }
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = config.padding as [[number, number], [number, number]];
        const next = soleConsumer(layer.name);
        if (
          !next ||
          !['Conv2D', 'DepthwiseConv2D'].includes(next.class_name) ||
          next.config.padding !== 'valid'
        ) {
          throw new GrokcatError(
            'MODEL_CONVERSION_FAILED',
            `${layer.name}: only padding before a 'valid' convolution is supported`,
          );
        }
        pendingPads.set(next.name, [top, left, bottom, right]);
        const input = tensorOf(layer);
        tensors.set(layer.name, {
          name: input.name,
          shape: [input.shape[0] + top + bottom, input.shape[1] + left + right, input.shape[2]],
        });
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const input = tensorOf(layer);
        const depthwise = layer.class_name === 'DepthwiseConv2D';
        const kernel = need(`${layer.name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`);
        const [kh, kw, cin, k3] = kernel.shape as [number, number, number, number];
        const cout = depthwise ? cin * k3 : k3;
        const [sh, sw] = config.strides as [number, number];
        // Keras kernels are HWIO (depthwise: HW C M); ONNX wants OIHW (depthwise: C*M, 1, H, W).
        const weights = new Float32Array(cout * (depthwise ? 1 : cin) * kh * kw);
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++)
            for (let i = 0; i < cin; i++)
              for (let o = 0; o < k3; o++) {
                const value = kernel.values[((y * kw + x) * cin + i) * k3 + o] as number;
                if (depthwise) weights[((i * k3 + o) * kh + y) * kw + x] = value;
                else weights[((o * cin + i) * kh + y) * kw + x] = value;
              }
        const bias = new Float32Array(cout);
        if (config.use_bias) bias.set(need(`${layer.name}/bias`).values);
        let produced = layer.name;
        const bn = soleConsumer(layer.name);
        if (bn?.class_name === 'BatchNormalization') {
          foldBatchNorm(bn, weights, bias, cout, weight);
          folded.add(bn.name);
          produced = bn.name;
        }
        const spatial = input.shape;
        let pads: Pads = pendingPads.get(layer.name) ?? [0, 0, 0, 0];
        if (config.padding === 'same') {
          const [top, bottom] = samePadding(spatial[0], kh, sh);
          const [left, right] = samePadding(spatial[1], kw, sw);
          pads = [top, left, bottom, right];
        }
        const oh = Math.floor((spatial[0] + pads[0] + pads[2] - kh) / sh) + 1;
        const ow = Math.floor((spatial[1] + pads[1] + pads[3] - kw) / sw) + 1;
        macs += oh * ow * cout * kh * kw * (depthwise ? 1 : cin);
        const w = graph.initializer(`${out}_w`, [cout, depthwise ? 1 : cin, kh, kw], weights);
        const b = graph.initializer(`${out}_b`, [cout], bias);
        let result = graph.node('Conv', [input.name, w, b], [out], {
          kernel_shape: [kh, kw],
          strides: [sh, sw],
          pads: [pads[0], pads[1], pads[2], pads[3]],
          group: depthwise ? cin : 1,
        });
        if (config.activation === 'relu') result = graph.node('Relu', [result], [`${out}_relu`]);
        else if (config.activation !== 'linear' && config.activation !== undefined) {
          throw new GrokcatError(
            'MODEL_CONVERSION_FAILED',
            `${layer.name}: activation ${String(config.activation)}`,
          );
        }
        tensors.set(produced, { name: result, shape: [oh, ow, cout] });
        tensors.set(layer.name, { name: result, shape: [oh, ow, cout] });
        break;
      }
      case 'BatchNormalization': {
        const input = tensorOf(layer);
        const c = input.shape[2];
        const scale = new Float32Array(c).fill(1);
        const shift = new Float32Array(c);
        foldBatchNorm(layer, scale, shift, c, weight, true);
        const s = graph.initializer(`${out}_s`, [c, 1, 1], scale);
        const b = graph.initializer(`${out}_b`, [c, 1, 1], shift);
        const scaled = graph.node('Mul', [input.name, s], [`${out}_mul`]);
        tensors.set(layer.name, { name: graph.node('Add', [scaled, b], [out]), shape: input.shape });
        break;
      }
      case 'ReLU':
      case 'Activation': {
        const input = tensorOf(layer);
        const max = layer.class_name === 'ReLU' ? (config.max_value as number | null) : null;
        if (layer.class_name === 'Activation' && config.activation !== 'relu') {
          throw new GrokcatError(
            'MODEL_CONVERSION_FAILED',
            `${layer.name}: activation ${String(config.activation)}`,
          );
        }
        const result =
          max === null || max === undefined
            ? graph.node('Relu', [input.name], [out])
            : graph.node(
                'Clip',
                [
                  input.name,
                  graph.initializer(`${out}_min`, [], new Float32Array([0])),
                  graph.initializer(`${out}_max`, [], new Float32Array([max])),
                ],
                [out],
              );
        tensors.set(layer.name, { name: result, shape: input.shape });
        break;
      }
      case 'Add': {
        const inputs = inboundOf(layer).map((_, i) => tensorOf(layer, i));
        tensors.set(layer.name, {
          name: graph.node(
            'Add',
            inputs.map((t) => t.name),
            [out],
          ),
          shape: (inputs[0] as Tensor).shape,
        });
        break;
      }
      case 'Concatenate': {
        const inputs = inboundOf(layer).map((_, i) => tensorOf(layer, i));
        const [h, w] = (inputs[0] as Tensor).shape;
        const c = inputs.reduce((sum, t) => sum + t.shape[2], 0);
        tensors.set(layer.name, {
          name: graph.node(
            'Concat',
            inputs.map((t) => t.name),
            [out],
            { axis: 1 },
          ),
          shape: [h, w, c],
        });
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const input = tensorOf(layer);
        const [kh, kw] = config.pool_size as [number, number];
        const [sh, sw] = (config.strides as [number, number] | null) ?? [kh, kw];
        let pads: Pads = [0, 0, 0, 0];
        if (config.padding === 'same') {
          const [top, bottom] = samePadding(input.shape[0], kh, sh);
          const [left, right] = samePadding(input.shape[1], kw, sw);
          pads = [top, left, bottom, right];
        }
        const oh = Math.floor((input.shape[0] + pads[0] + pads[2] - kh) / sh) + 1;
        const ow = Math.floor((input.shape[1] + pads[1] + pads[3] - kw) / sw) + 1;
        const op = layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
        // TensorFlow averages over the real pixels only, never the padding.
        const extra: Record<string, number> = op === 'AveragePool' ? { count_include_pad: 0 } : {};
        const result = graph.node(op, [input.name], [out], {
          kernel_shape: [kh, kw],
          strides: [sh, sw],
          pads,
          ...extra,
        });
        tensors.set(layer.name, { name: result, shape: [oh, ow, input.shape[2]] });
        break;
      }
      default:
        // Layers after the cut (pooling to a vector, dense classifier) are never needed.
        if (!cuts.every((cut) => tensors.has(cut))) {
          throw new GrokcatError(
            'MODEL_CONVERSION_FAILED',
            `${layer.name}: layer type ${layer.class_name} is not supported`,
          );
        }
    }
  }

  const featureMaps = cuts.map((layer): FeatureMap => {
    const feature = tensors.get(layer);
    if (!feature)
      throw new GrokcatError('MODEL_CONVERSION_FAILED', `no layer named ${layer} in ${model.name}`);
    const [h, w, c] = feature.shape;
    return { layer, tensor: feature.name, shape: [c, h, w] };
  });
  const [first] = featureMaps as [FeatureMap];
  return { graph, output: first.tensor, featureShape: first.shape, featureMaps, inputSize, macs };
}

/**
 * Folds y = gamma * (x - mean) / sqrt(var + eps) + beta into a preceding convolution's weights and
 * bias (per output channel), or, with `plain`, into a per-channel scale and shift.
 */
function foldBatchNorm(
  bn: KerasLayer,
  weights: Float32Array,
  bias: Float32Array,
  channels: number,
  weight: (name: string) => { values: Float32Array } | undefined,
  plain = false,
): void {
  const epsilon = (bn.config.epsilon as number) ?? 1e-3;
  const gamma = bn.config.scale === false ? null : weight(`${bn.name}/gamma`)?.values;
  const beta = bn.config.center === false ? null : weight(`${bn.name}/beta`)?.values;
  const mean = weight(`${bn.name}/moving_mean`)?.values;
  const variance = weight(`${bn.name}/moving_variance`)?.values;
  if (!mean || !variance)
    throw new GrokcatError('MODEL_CONVERSION_FAILED', `${bn.name}: moving statistics missing`);
  const perChannel = weights.length / channels;
  for (let o = 0; o < channels; o++) {
    const factor = (gamma ? (gamma[o] as number) : 1) / Math.sqrt((variance[o] as number) + epsilon);
    if (plain) {
      weights[o] = factor;
      bias[o] = (beta ? (beta[o] as number) : 0) - (mean[o] as number) * factor;
      continue;
    }
    for (let k = 0; k < perChannel; k++)
      weights[o * perChannel + k] = (weights[o * perChannel + k] as number) * factor;
    bias[o] = ((bias[o] as number) - (mean[o] as number)) * factor + (beta ? (beta[o] as number) : 0);
  }
}
