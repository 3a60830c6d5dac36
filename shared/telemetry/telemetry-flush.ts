/**
 * What must run before a process exits so its last spans and metrics leave it: the OpenTelemetry
 * SDK's shutdown, registered by start-telemetry.ts when it exports over OTLP. `process.exit` skips
 * `beforeExit`, so the clean shutdown calls `flushTelemetry` itself.
 */
const flushers: (() => Promise<unknown>)[] = [];

export function onTelemetryFlush(flush: () => Promise<unknown>): void {
  flushers.push(flush);
}

/** Runs every flusher, waiting at most `timeoutMs`: an unreachable collector never holds an exit. */
export async function flushTelemetry(timeoutMs = 3000): Promise<void> {
  if (flushers.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([Promise.allSettled(flushers.map((flush) => flush())), deadline]);
  clearTimeout(timer);
}
