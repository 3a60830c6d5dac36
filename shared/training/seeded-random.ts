/**
 * Seeded generators for everything the trainer draws at random (shuffles, projections, LSH planes,
 * augmentations): the same seed gives the same numbers on every machine. A linear congruential
 * generator with glibc's constants; ample for shuffling and initialisation, never for secrets.
 */
const step = (state: number) => (state * 1103515245 + 12345) % 2 ** 31;

/** Uniform in [0, 1). */
export function seededUniform(seed: number): () => number {
  let state = seed;
  return () => {
    state = step(state);
    return state / 2 ** 31;
  };
}

/** Standard normal (Box-Muller over two uniform draws in (0, 1]). */
export function seededGaussian(seed: number): () => number {
  let state = seed;
  return () => {
    state = step(state);
    const u = (state + 1) / (2 ** 31 + 1);
    state = step(state);
    const v = (state + 1) / (2 ** 31 + 1);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** A seed from a string (a polynomial hash), for generators keyed by names. */
export const seedOf = (text: string) =>
  [...text].reduce((h, ch) => (h * 31 + (ch.codePointAt(0) ?? 0)) % 2 ** 31, 7);
