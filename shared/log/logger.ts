import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config/load-config.ts';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** Bound on every line, e.g. `enricher`, `cli`. */
  service: string;
  /** Where lines go; stderr by default, so stdout stays free for command output. */
  destination?: DestinationStream | NodeJS.WritableStream;
}

/**
 * The root logger of a process. Services derive child loggers that bind their context
 * (`log.child({ topic, partition, offset })`) and put data in fields, not in messages.
 */
export function createLogger(
  config: Pick<Config, 'log'>,
  { service, destination }: CreateLoggerOptions,
): Logger {
  const usePretty =
    config.log.format === 'pretty' ||
    (config.log.format === 'auto' && destination === undefined && process.stderr.isTTY);
  const stream = usePretty
    ? pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
    : (destination ?? pino.destination({ fd: 2, sync: true }));
  return pino(
    {
      level: config.log.level,
      base: { service },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      redact: { paths: ['password', '*.password', 'connectionString', '*.connectionString'], censor: '***' },
    },
    stream,
  );
}

/** A logger that drops everything, for code paths and tests that need one but not its output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
