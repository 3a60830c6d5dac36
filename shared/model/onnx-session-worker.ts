import { parentPort, workerData } from 'node:worker_threads';
import { createOnnxSession, type OnnxSession, type SessionOptions } from './onnx-session.ts';

/**
 * One ONNX Runtime session on its own thread (`onnx-worker-session.ts` is the other side). In the
 * main thread `session.run` held the event loop for the whole run (issue 21's profile: 12 % of the
 * main thread, and the cataloger's open transaction stalled behind it).
 *
 * Requests: `{ id, type: 'run', feeds }` and `{ id, type: 'release' }`; replies `{ id, ok, outputs }`
 * or `{ id, ok: false, message, code }`. Tensors travel as transferred buffers.
 */
export interface OnnxWorkerData {
  model: Uint8Array;
  options: SessionOptions;
}

export type Tensors = Record<string, { data: Float32Array; dims: number[] }>;
export type OnnxWorkerRequest = { id: number; type: 'run'; feeds: Tensors } | { id: number; type: 'release' };
export type OnnxWorkerReply =
  | { id: number; ok: true; outputs?: Tensors }
  | { id: number; ok: false; message: string; code?: string };
export type OnnxWorkerHello =
  | { type: 'ready'; inputNames: string[]; outputNames: string[] }
  | { type: 'failed'; message: string; code?: string };

const port = parentPort;
if (!port) throw new Error('onnx-session-worker.ts runs as a worker thread');
const { model, options } = workerData as OnnxWorkerData;

let session: OnnxSession;
try {
  session = await createOnnxSession(model, options);
  port.postMessage({
    type: 'ready',
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
  } satisfies OnnxWorkerHello);
} catch (error) {
  port.postMessage({
    type: 'failed',
    message: (error as Error).message,
    code: (error as { code?: string }).code,
  } satisfies OnnxWorkerHello);
  port.close();
  throw error;
}

port.on('message', async (request: OnnxWorkerRequest) => {
  try {
    if (request.type === 'release') {
      await session.release();
      port.postMessage({ id: request.id, ok: true } satisfies OnnxWorkerReply);
      port.close();
      return;
    }
    const outputs = await session.run(request.feeds);
    port.postMessage(
      { id: request.id, ok: true, outputs } satisfies OnnxWorkerReply,
      Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer),
    );
  } catch (error) {
    port.postMessage({
      id: request.id,
      ok: false,
      message: (error as Error).message,
      code: (error as { code?: string }).code,
    } satisfies OnnxWorkerReply);
  }
});
