import { ERROR_CATALOGUE, type ErrorCode, GrokcatError } from '../errors/error-catalogue.ts';
import { startModuleWorker } from '../lifecycle/module-worker.ts';
import type { OnnxSession, SessionOptions } from './onnx-session.ts';
import type {
  OnnxWorkerData,
  OnnxWorkerHello,
  OnnxWorkerReply,
  OnnxWorkerRequest,
  Tensors,
} from './onnx-session-worker.ts';

/**
 * An ONNX Runtime session on a worker thread behind the same `OnnxSession` interface: runs never
 * block the event loop, so the process's other work (decoding, database round trips, the bus) goes
 * on while the model computes. Inputs are copied into fresh buffers and transferred (the caller may
 * reuse its own); outputs are transferred back.
 */
export async function createOnnxWorkerSession(
  model: Uint8Array,
  options: SessionOptions,
): Promise<OnnxSession> {
  const worker = startModuleWorker(new URL('./onnx-session-worker.ts', import.meta.url), {
    model,
    options,
  } satisfies OnnxWorkerData);
  const pending = new Map<number, { resolve: (reply: OnnxWorkerReply) => void }>();
  let nextId = 1;
  let exited: Error | null = null;
  const hello = new Promise<OnnxWorkerHello>((resolve) => {
    worker.once('message', resolve);
    worker.once('error', (error) => resolve({ type: 'failed', message: error.message }));
    worker.once('exit', (code) => resolve({ type: 'failed', message: `the model thread exited (${code})` }));
  });
  const first = await hello;
  if (first.type !== 'ready') {
    await worker.terminate();
    throw new GrokcatError(toCode(first.code) ?? 'MODEL_INVALID', first.message);
  }
  worker.on('message', (reply: OnnxWorkerReply) => {
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    waiting?.resolve(reply);
  });
  const fail = (error: Error) => {
    exited = error;
    for (const [id, waiting] of pending) waiting.resolve({ id, ok: false, message: error.message });
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the model thread exited (${code})`)));

  const request = (
    message: { type: 'run'; feeds: Tensors } | { type: 'release' },
    transfer: ArrayBuffer[] = [],
  ) =>
    new Promise<OnnxWorkerReply>((resolve) => {
      if (exited) {
        resolve({ id: 0, ok: false, message: exited.message });
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve });
      worker.postMessage({ ...message, id } as OnnxWorkerRequest, transfer);
    });

  return {
    inputNames: first.inputNames,
    outputNames: first.outputNames,
    async run(feeds) {
      const copies: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const [name, { data, dims }] of Object.entries(feeds)) copies[name] = { data: data.slice(), dims };
      const reply = await request(
        { type: 'run', feeds: copies },
        Object.values(copies).map((t) => t.data.buffer as ArrayBuffer),
      );
      if (!reply.ok) throw errorOf(reply);
      return reply.outputs ?? {};
    },
    async release() {
      if (!exited) await request({ type: 'release' });
      await worker.terminate();
    },
  };
}

const toCode = (code: string | undefined): ErrorCode | null =>
  code !== undefined && code in ERROR_CATALOGUE ? (code as ErrorCode) : null;

/** A failed run as the thread reported it: our error with its code, or ONNX Runtime's own message. */
function errorOf(reply: { message: string; code?: string }): Error {
  const code = toCode(reply.code);
  return code ? new GrokcatError(code, reply.message) : new Error(reply.message);
}
