import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { Logger } from '../log/logger.ts';

export type TrainingBackend = 'wasm' | 'cpu';

/**
 * Selects tfjs's backend for training. WebAssembly (XNNPACK kernels, SIMD) covers every op the
 * heads and the four losses use and ran a 256-row step of all four losses in 110 ms against 617 ms
 * on the plain-JavaScript cpu backend (heads alone: 12 ms against 48 ms; 2 cores, 2026-11-25,
 * docs/training.md), so it is the default; cpu stays as the fallback and for comparison. The
 * .wasm binaries ship inside the npm package: nothing is fetched at run time.
 */
export async function selectTrainingBackend(wanted: TrainingBackend, log: Logger): Promise<TrainingBackend> {
  tf.env().set('PROD', true);
  if (tf.getBackend() === wanted) return wanted;
  if (wanted === 'wasm') {
    try {
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return 'wasm';
      }
    } catch (error) {
      log.warn({ err: error }, 'the tfjs wasm backend did not start; training on the cpu backend');
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}
