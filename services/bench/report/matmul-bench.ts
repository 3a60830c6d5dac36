import type { Config } from '../../../shared/config/load-config.ts';
import { createOnnxGraph } from '../../../shared/model/onnx/onnx-graph.ts';
import { createOnnxSession } from '../../../shared/model/onnx-session.ts';

export interface MatmulResult {
  size: number;
  gflop_s: number;
  threads: string;
  note: string;
}

function randomMatrix(n: number): Float32Array {
  const data = new Float32Array(n * n);
  for (let i = 0; i < data.length; i++) data[i] = Math.random() - 0.5;
  return data;
}

/**
 * The machine's fp32 matrix-multiply rate, measured with the same library and threads the model
 * runs on (ONNX Runtime's MLAS SGEMM): a model's GFLOP/s is judged against this ceiling. Median
 * of `trials` products of two n x n matrices after a warm-up.
 */
export async function benchMatmul(config: Config, n = 2048, trials = 7): Promise<MatmulResult> {
  const graph = createOnnxGraph('matmul');
  graph.input('a', [n, n]);
  graph.initializer('b', [n, n], randomMatrix(n));
  graph.node('MatMul', ['a', 'b'], ['y']);
  graph.output('y', [n, n]);
  const session = await createOnnxSession(graph.toBytes(), {
    executionProviders: ['cpu'],
    intraOpThreads: config.model.intraOpThreads,
    interOpThreads: config.model.interOpThreads,
  });
  try {
    const feeds = { a: { data: randomMatrix(n), dims: [n, n] } };
    await session.run(feeds);
    const rates: number[] = [];
    for (let i = 0; i < trials; i++) {
      const started = performance.now();
      await session.run(feeds);
      rates.push((2 * n ** 3) / ((performance.now() - started) / 1000) / 1e9);
    }
    rates.sort((x, y) => x - y);
    return {
      size: n,
      gflop_s: Number((rates[Math.floor(rates.length / 2)] as number).toFixed(1)),
      threads: config.model.intraOpThreads === 0 ? 'one per core' : String(config.model.intraOpThreads),
      note: `ONNX Runtime MatMul (MLAS SGEMM), fp32, ${n} x ${n} x ${n}, median of ${trials}`,
    };
  } finally {
    await session.release();
  }
}
