/**
 * Bounds what one process fetches at once: at most `concurrency` photo fetches, and at most
 * `maxBytes` of photo bodies held in flight. A fetch takes a slot before it connects and reserves
 * its body's size (declared, or the largest allowed when undeclared) before reading it; both are
 * given back when the fetch ends. A reservation larger than the whole budget waits until it can run
 * alone, so it is never refused for the budget's sake.
 */
export interface FetchLimiter {
  /** Runs `work` in a slot; `reserve` inside it waits for body bytes from the budget. */
  run<T>(work: (reserve: (bytes: number) => Promise<void>) => Promise<T>): Promise<T>;
  stats(): { active: number; waiting: number; bytesInFlight: number };
}

export function createFetchLimiter({
  concurrency,
  maxBytes,
}: {
  concurrency: number;
  maxBytes: number;
}): FetchLimiter {
  let active = 0;
  let bytesInFlight = 0;
  const slotQueue: (() => void)[] = [];
  const byteQueue: { bytes: number; grant: () => void }[] = [];

  const acquireSlot = (): Promise<void> => {
    if (active < concurrency) {
      active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) =>
      slotQueue.push(() => {
        active += 1;
        resolve();
      }),
    );
  };
  const releaseSlot = () => {
    active -= 1;
    slotQueue.shift()?.();
  };
  const grantBytes = () => {
    // First come, first served: a large reservation is not overtaken forever by small ones.
    while (byteQueue.length > 0) {
      const next = byteQueue[0] as { bytes: number; grant: () => void };
      const fits = bytesInFlight + next.bytes <= maxBytes || bytesInFlight === 0;
      if (!fits) return;
      byteQueue.shift();
      bytesInFlight += next.bytes;
      next.grant();
    }
  };

  return {
    async run(work) {
      await acquireSlot();
      let reserved = 0;
      const pending = new Set<{ bytes: number; grant: () => void }>();
      const reserve = (bytes: number) =>
        new Promise<void>((grant) => {
          const wanted = Math.min(bytes, maxBytes);
          const entry = {
            bytes: wanted,
            grant: () => {
              pending.delete(entry);
              reserved += wanted;
              grant();
            },
          };
          pending.add(entry);
          byteQueue.push(entry);
          grantBytes();
        });
      try {
        return await work(reserve);
      } finally {
        // A fetch that ended (failed, timed out) while waiting for bytes leaves the queue too.
        for (const entry of pending) byteQueue.splice(byteQueue.indexOf(entry), 1);
        bytesInFlight -= reserved;
        releaseSlot();
        grantBytes();
      }
    },
    stats: () => ({ active, waiting: slotQueue.length + byteQueue.length, bytesInFlight }),
  };
}
