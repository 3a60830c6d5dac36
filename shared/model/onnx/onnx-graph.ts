import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
type INodeProto = OnnxTypes.INodeProto;
type ITensorProto = OnnxTypes.ITensorProto;
type IValueInfoProto = OnnxTypes.IValueInfoProto;
type IAttributeProto = OnnxTypes.IAttributeProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

type AttributeValue = number | number[] | string | { float: number };

/**
 * A small builder of ONNX graphs on top of the generated protobuf classes (onnx-proto), enough for
 * our converter and exporter: float and int64 initializers, nodes with int/ints/float/string attributes,
 * float inputs and outputs with symbolic batch dimensions.
 */
export function createOnnxGraph(name: string) {
  const nodes: INodeProto[] = [];
  const initializers: ITensorProto[] = [];
  const inputs: IValueInfoProto[] = [];
  const outputs: IValueInfoProto[] = [];
  let counter = 0;

  const valueInfo = (tensor: string, dims: (number | string)[]): IValueInfoProto => ({
    name: tensor,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });

  const attribute = (key: string, value: AttributeValue): IAttributeProto => {
    const { AttributeType } = onnx.AttributeProto;
    if (typeof value === 'string')
      return { name: key, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
    if (Array.isArray(value)) return { name: key, type: AttributeType.INTS, ints: value };
    if (typeof value === 'object') return { name: key, type: AttributeType.FLOAT, f: value.float };
    return { name: key, type: AttributeType.INT, i: value };
  };

  return {
    /** A fresh tensor name with a readable prefix. */
    unique: (prefix: string) => `${prefix}_${counter++}`,
    input(tensor: string, dims: (number | string)[]) {
      inputs.push(valueInfo(tensor, dims));
    },
    output(tensor: string, dims: (number | string)[]) {
      outputs.push(valueInfo(tensor, dims));
    },
    initializer(tensor: string, dims: number[], data: Float32Array) {
      const size = dims.reduce((a, b) => a * b, 1);
      if (size !== data.length) throw new RangeError(`${tensor}: ${data.length} values for shape [${dims}]`);
      initializers.push({
        name: tensor,
        dims,
        dataType: FLOAT,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      });
      return tensor;
    },
    /** An int64 initializer (shapes, pads, axes, sizes). */
    initializerInt64(tensor: string, dims: number[], values: readonly number[]) {
      const data = BigInt64Array.from(values, (v) => BigInt(v));
      if (dims.reduce((a, b) => a * b, 1) !== data.length)
        throw new RangeError(`${tensor}: ${data.length} values for shape [${dims}]`);
      initializers.push({
        name: tensor,
        dims,
        dataType: INT64,
        rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      });
      return tensor;
    },
    node(
      opType: string,
      nodeInputs: string[],
      nodeOutputs: string[],
      attributes: Record<string, AttributeValue> = {},
    ) {
      nodes.push({
        opType,
        name: `${opType}_${nodes.length}`,
        input: nodeInputs,
        output: nodeOutputs,
        attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
      });
      return nodeOutputs[0] as string;
    },
    /** Serialises the model (ONNX IR 8, opset 17) with metadata key/values. */
    toBytes(metadata: Record<string, string> = {}): Uint8Array {
      const model = onnx.ModelProto.create({
        irVersion: 8,
        producerName: 'grokcat',
        producerVersion: '0.1.0',
        opsetImport: [{ domain: '', version: 17 }],
        metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
        graph: { name, node: nodes, initializer: initializers, input: inputs, output: outputs },
      });
      return onnx.ModelProto.encode(model).finish();
    },
  };
}

export type OnnxGraph = ReturnType<typeof createOnnxGraph>;
