import type { Parameters } from 'fast-check';

/**
 * fast-check settings for a time-bounded fuzz run: as many cases as fit in FUZZ_SECONDS (default 3
 * per property, for CI) or FUZZ_RUNS; FUZZ_SEED replays a failure (fast-check prints its seed and path).
 * Longer: `FUZZ_SECONDS=600 npm run test:fuzz`.
 */
export function fuzzParameters<T>(defaultSeconds = 3): Parameters<T> {
  const seconds = Number(process.env.FUZZ_SECONDS ?? defaultSeconds);
  const runs = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : Number.MAX_SAFE_INTEGER;
  return {
    numRuns: runs,
    interruptAfterTimeLimit: seconds * 1000,
    markInterruptAsFailure: false,
    ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
  };
}

/** A byte string with a few bytes changed, some inserted or deleted, or cut short. */
export const mutations = {
  flip: (bytes: Uint8Array, at: number, value: number) => {
    const out = Uint8Array.from(bytes);
    if (out.length > 0) out[at % out.length] = value;
    return out;
  },
  cut: (bytes: Uint8Array, at: number) => bytes.subarray(0, at % (bytes.length + 1)),
  insert: (bytes: Uint8Array, at: number, extra: Uint8Array) => {
    const i = at % (bytes.length + 1);
    return Uint8Array.from([...bytes.subarray(0, i), ...extra, ...bytes.subarray(i)]);
  },
};
