import { GrokcatError } from '../../errors/error-catalogue.ts';
import { createOnnxGraph } from '../onnx/onnx-graph.ts';
import type { WeightSpec } from './tfjs-weights.ts';

/**
 * Our converter from a TensorFlow.js graph model (model.json + weights) to ONNX, for the small op
 * set of the detectors that ship in npm packages (NanoDet: converted PyTorch -> ONNX -> TF, so
 * NHWC convolutions between transposes). Shapes are static (batch 1); constant sub-graphs (shape
 * arithmetic) are folded here. Each NHWC convolution, pooling or resize becomes its NCHW ONNX op
 * between two transposes, which ONNX Runtime's transpose optimiser cancels against the graph's own.
 * Verified against tfjs on real photos (detector-import.ts).
 */
export interface TfjsGraphModel {
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  signature?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
}

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; i?: string; f?: number; b?: boolean; list?: { i?: string[] } }>;
}

/** A value during conversion: a folded constant, or a tensor of the ONNX graph. */
type Value =
  | { kind: 'const'; shape: number[]; data: Float32Array | Int32Array }
  | { kind: 'tensor'; shape: number[]; name: string };

const fail = (node: TfNode, why: string) =>
  new GrokcatError('MODEL_CONVERSION_FAILED', `${node.name} (${node.op}): ${why}`);
const ints = (node: TfNode, key: string) => (node.attr?.[key]?.list?.i ?? []).map(Number);
const text = (node: TfNode, key: string) => {
  const s = node.attr?.[key]?.s;
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
};
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/**
 * Converts the graph with its input fixed at `inputShape` (as the graph declares it). Outputs keep
 * the graph's signature names without the ":0" (e.g. "Identity_2").
 */
export function convertTfjsGraph(
  model: TfjsGraphModel,
  weights: Map<string, Float32Array | Int32Array>,
  inputShape: number[],
): { bytes: Uint8Array; input: string; outputs: { name: string; shape: number[] }[] } {
  const graph = createOnnxGraph('tfjs-graph');
  const values = new Map<string, Value>();
  const get = (node: TfNode, index: number): Value => {
    const ref = (node.input ?? []).filter((i) => !i.startsWith('^'))[index];
    const value = ref === undefined ? undefined : values.get(ref.endsWith(':0') ? ref.slice(0, -2) : ref);
    if (!value) throw fail(node, `input ${index} (${ref}) is not converted`);
    return value;
  };
  const constant = (node: TfNode, index: number) => {
    const value = get(node, index);
    if (value.kind !== 'const') throw fail(node, `input ${index} must be a constant`);
    return value;
  };
  const tensorOf = (value: Value, hint: string): string => {
    if (value.kind === 'tensor') return value.name;
    if (value.data instanceof Float32Array)
      return graph.initializer(graph.unique(hint), value.shape, value.data);
    return graph.initializerInt64(graph.unique(hint), value.shape, Array.from(value.data));
  };
  const emit = (
    op: string,
    inputs: string[],
    shape: number[],
    attrs: Parameters<typeof graph.node>[3] = {},
  ) => {
    const name = graph.unique(op);
    graph.node(op, inputs, [name], attrs);
    return { kind: 'tensor' as const, shape, name };
  };
  const permute = (shape: number[], perm: number[]) => perm.map((p) => shape[p] as number);
  /** An NCHW ONNX op applied to an NHWC tensor. */
  const inNchw = (x: Value, build: (nchw: string, shape: number[]) => Value) => {
    const nchw = emit('Transpose', [tensorOf(x, 'x')], permute(x.shape, TO_NCHW), { perm: TO_NCHW });
    const y = build(nchw.name, nchw.shape);
    return emit('Transpose', [tensorOf(y, 'y')], permute(y.shape, TO_NHWC), { perm: TO_NHWC });
  };
  const window = (node: TfNode, size: number[], kernel: number[], strides: number[], dilations = [1, 1]) => {
    if (text(node, 'padding') !== 'VALID')
      throw fail(node, `padding ${text(node, 'padding')} is not handled`);
    return size.map(
      (s, i) =>
        Math.floor(
          (s - ((kernel[i] as number) - 1) * (dilations[i] as number) - 1) / (strides[i] as number),
        ) + 1,
    );
  };

  for (const node of model.modelTopology.node) {
    const set = (value: Value) => values.set(node.name, value);
    switch (node.op) {
      case 'Placeholder':
        graph.input('image', inputShape);
        set({ kind: 'tensor', shape: inputShape, name: 'image' });
        break;
      case 'Const': {
        const data = weights.get(node.name);
        const spec = model.weightsManifest.flatMap((m) => m.weights).find((w) => w.name === node.name);
        if (!data || !spec) throw fail(node, 'no weights for this constant');
        set({ kind: 'const', shape: spec.shape, data });
        break;
      }
      case 'Identity':
        set(get(node, 0));
        break;
      case 'SparseToDense': {
        const [indices, shape, sparse, fallback] = [0, 1, 2, 3].map((i) => constant(node, i));
        const size = Array.from(shape?.data ?? []).reduce((a, b) => a * b, 1);
        const data = new Int32Array(size).fill(Number(fallback?.data[0] ?? 0));
        Array.from(indices?.data ?? []).forEach((at, i) => {
          data[at] = Number(sparse?.data.length === 1 ? sparse.data[0] : sparse?.data[i]);
        });
        set({ kind: 'const', shape: Array.from(shape?.data ?? []), data });
        break;
      }
      case 'Add':
      case 'AddV2': {
        const [a, b] = [get(node, 0), get(node, 1)];
        if (a.kind === 'const' && b.kind === 'const') {
          if (a.data.length !== b.data.length && b.data.length !== 1)
            throw fail(node, 'constant shapes differ');
          const data = a.data.map(
            (v, i) => v + (b.data.length === 1 ? (b.data[0] as number) : (b.data[i] as number)),
          );
          set({ kind: 'const', shape: a.shape, data });
        } else {
          set(emit('Add', [tensorOf(a, 'a'), tensorOf(b, 'b')], a.kind === 'tensor' ? a.shape : b.shape));
        }
        break;
      }
      case 'Transpose': {
        const x = get(node, 0);
        const perm = Array.from(constant(node, 1).data);
        set(emit('Transpose', [tensorOf(x, 'x')], permute(x.shape, perm), { perm }));
        break;
      }
      case 'Pad':
      case 'PadV2': {
        const x = get(node, 0);
        const pads = Array.from(constant(node, 1).data);
        const begin = pads.filter((_, i) => i % 2 === 0);
        const end = pads.filter((_, i) => i % 2 === 1);
        const inputs = [
          tensorOf(x, 'x'),
          graph.initializerInt64(graph.unique('pads'), [pads.length], [...begin, ...end]),
        ];
        if (node.op === 'PadV2') {
          const fill = constant(node, 2);
          inputs.push(graph.initializer(graph.unique('fill'), [], Float32Array.from(fill.data)));
        }
        const shape = x.shape.map((d, i) => d + (begin[i] as number) + (end[i] as number));
        set(emit('Pad', inputs, shape, { mode: 'constant' }));
        break;
      }
      case 'Conv2D': {
        if (text(node, 'data_format') !== 'NHWC') throw fail(node, 'only NHWC is handled');
        const x = get(node, 0);
        const filter = constant(node, 1); // HWIO
        const [kh = 0, kw = 0, ci = 0, co = 0] = filter.shape;
        const oihw = new Float32Array(filter.data.length);
        for (let h = 0; h < kh; h++)
          for (let w = 0; w < kw; w++)
            for (let i = 0; i < ci; i++)
              for (let o = 0; o < co; o++)
                oihw[((o * ci + i) * kh + h) * kw + w] = filter.data[
                  ((h * kw + w) * ci + i) * co + o
                ] as number;
        const strides = ints(node, 'strides').slice(1, 3);
        const dilations = ints(node, 'dilations').slice(1, 3);
        const [, height = 0, width = 0, channels = 0] = x.shape;
        const group = channels / ci;
        if (!Number.isInteger(group)) throw fail(node, `${channels} channels in groups of ${ci}`);
        const [oh = 0, ow = 0] = window(node, [height, width], [kh, kw], strides, dilations);
        const weight = graph.initializer(graph.unique('filter'), [co, ci, kh, kw], oihw);
        set(
          inNchw(x, (nchw) =>
            emit('Conv', [nchw, weight], [1, co, oh, ow], {
              kernel_shape: [kh, kw],
              strides,
              dilations,
              group,
              pads: [0, 0, 0, 0],
            }),
          ),
        );
        break;
      }
      case 'MaxPool': {
        if (text(node, 'data_format') !== 'NHWC') throw fail(node, 'only NHWC is handled');
        const x = get(node, 0);
        const kernel = ints(node, 'ksize').slice(1, 3);
        const strides = ints(node, 'strides').slice(1, 3);
        const [n = 1, h = 0, w = 0, c = 0] = x.shape;
        const [oh = 0, ow = 0] = window(node, [h, w], kernel, strides);
        set(inNchw(x, (nchw) => emit('MaxPool', [nchw], [n, c, oh, ow], { kernel_shape: kernel, strides })));
        break;
      }
      case 'LeakyRelu':
        set(
          emit('LeakyRelu', [tensorOf(get(node, 0), 'x')], get(node, 0).shape, {
            alpha: { float: node.attr?.alpha?.f ?? 0.2 },
          }),
        );
        break;
      case 'Sigmoid':
        set(emit('Sigmoid', [tensorOf(get(node, 0), 'x')], get(node, 0).shape));
        break;
      case 'ConcatV2': {
        const count = (node.input ?? []).filter((i) => !i.startsWith('^')).length - 1;
        const parts = Array.from({ length: count }, (_, i) => get(node, i));
        const rank = parts[0]?.shape.length ?? 0;
        const axis = ((Number(constant(node, count).data[0]) % rank) + rank) % rank;
        const shape = [...(parts[0]?.shape ?? [])];
        shape[axis] = parts.reduce((sum, p) => sum + (p.shape[axis] as number), 0);
        set(
          emit(
            'Concat',
            parts.map((p) => tensorOf(p, 'part')),
            shape,
            { axis },
          ),
        );
        break;
      }
      case 'Reshape': {
        const x = get(node, 0);
        const target = Array.from(constant(node, 1).data);
        const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        const total = x.shape.reduce((a, b) => a * b, 1);
        const shape = target.map((d) => (d === -1 ? total / known : d));
        const spec = graph.initializerInt64(graph.unique('shape'), [shape.length], shape);
        set(emit('Reshape', [tensorOf(x, 'x'), spec], shape));
        break;
      }
      case 'SplitV': {
        const x = get(node, 0);
        const sizes = Array.from(constant(node, 1).data);
        const rank = x.shape.length;
        const axis = ((Number(constant(node, 2).data[0]) % rank) + rank) % rank;
        const names = sizes.map(() => graph.unique('split'));
        const split = graph.initializerInt64(graph.unique('sizes'), [sizes.length], sizes);
        graph.node('Split', [tensorOf(x, 'x'), split], names, { axis });
        names.forEach((name, i) => {
          const shape = [...x.shape];
          shape[axis] = sizes[i] as number;
          values.set(i === 0 ? node.name : `${node.name}:${i}`, { kind: 'tensor', shape, name });
        });
        break;
      }
      case 'ResizeBilinear': {
        const x = get(node, 0);
        const [h = 0, w = 0] = Array.from(constant(node, 1).data);
        const mode = node.attr?.align_corners?.b
          ? 'align_corners'
          : node.attr?.half_pixel_centers?.b
            ? 'half_pixel'
            : 'asymmetric';
        const [n = 1, , , c = 0] = x.shape;
        const sizes = graph.initializerInt64(graph.unique('sizes'), [4], [n, c, h, w]);
        set(
          inNchw(x, (nchw) =>
            emit('Resize', [nchw, '', '', sizes], [n, c, h, w], {
              mode: 'linear',
              coordinate_transformation_mode: mode,
            }),
          ),
        );
        break;
      }
      default:
        throw fail(node, 'this op is not handled by our converter');
    }
  }
  const outputs = Object.keys(model.signature?.outputs ?? {}).map((ref) => {
    const name = ref.replace(/:0$/, '');
    const value = values.get(name);
    if (value?.kind !== 'tensor')
      throw new GrokcatError('MODEL_CONVERSION_FAILED', `output ${ref} is not a tensor`);
    graph.node('Identity', [value.name], [name]);
    graph.output(name, value.shape);
    return { name, shape: value.shape };
  });
  return { bytes: graph.toBytes({ 'grokcat.converted_from': 'tfjs-graph-model' }), input: 'image', outputs };
}
