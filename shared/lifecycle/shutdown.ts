import type { Logger } from '../log/logger.ts';
import { flushTelemetry } from '../telemetry/telemetry-flush.ts';

export interface ShutdownOptions {
  log: Logger;
  /** After this long the process exits with status 1 even if stopping has not finished. */
  timeoutMs: number;
  signals?: NodeJS.Signals[];
  /** Ends the process; replaceable so tests can watch what would happen. */
  exit?: (code: number) => void;
}

/**
 * Runs `stop` once on the first SIGINT/SIGTERM, then exits 0 (or 1 when stopping failed or took
 * longer than the timeout). A second signal exits at once: the operator's Ctrl-C always wins.
 */
export function registerShutdown(
  stop: (signal: NodeJS.Signals) => Promise<void>,
  options: ShutdownOptions,
): void {
  const { log, timeoutMs, signals = ['SIGINT', 'SIGTERM'], exit = (code) => process.exit(code) } = options;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      exit(130);
      return;
    }
    stopping = true;
    log.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown took too long: exiting anyway');
      exit(1);
    }, timeoutMs);
    timer.unref();
    stop(signal).then(
      async () => {
        clearTimeout(timer);
        log.info('stopped cleanly');
        await flushTelemetry();
        exit(0);
      },
      async (error: unknown) => {
        clearTimeout(timer);
        log.error({ err: error }, 'shutdown failed');
        await flushTelemetry();
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}
