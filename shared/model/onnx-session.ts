import * as ort from 'onnxruntime-node';
import { GrokcatError } from '../errors/error-catalogue.ts';

export type ExecutionProvider = 'cpu' | 'xnnpack' | 'webgpu' | 'cuda';

export interface SessionOptions {
  executionProviders: ExecutionProvider[];
  /** Threads inside one operator (0: ONNX Runtime decides, one per core). */
  intraOpThreads: number;
  /** Threads across independent operators. */
  interOpThreads: number;
}

export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs on float32 tensors; returns float32 data and dims by output name. */
  run(
    feeds: Record<string, { data: Float32Array; dims: number[] }>,
  ): Promise<Record<string, { data: Float32Array; dims: number[] }>>;
  release(): Promise<void>;
}

/** ONNX Runtime behind a small interface: no other module imports onnxruntime-node. */
export async function createOnnxSession(
  model: Uint8Array | string,
  options: SessionOptions,
): Promise<OnnxSession> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model as Uint8Array, {
      executionProviders: options.executionProviders,
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: options.interOpThreads,
      graphOptimizationLevel: 'all',
      // Idle ORT threads spin by default: 5.9 ms CPU per image at batch 2 against 2.5 ms without
      // (issue 21), CPU the database and decoding threads need on a small machine.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  } catch (error) {
    throw new GrokcatError(
      'MODEL_INVALID',
      `ONNX Runtime cannot load the model with providers [${options.executionProviders.join(', ')}]: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const tensors: Record<string, ort.Tensor> = {};
      for (const [name, { data, dims }] of Object.entries(feeds))
        tensors[name] = new ort.Tensor('float32', data, dims);
      const results = await session.run(tensors);
      const out: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const [name, tensor] of Object.entries(results)) {
        out[name] = { data: tensor.data as Float32Array, dims: [...tensor.dims] };
      }
      return out;
    },
    release: () => session.release(),
  };
}
