import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/** `auto`: lines for a person when the log stream is a terminal, JSON for a machine otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  readonly level: string;
  readonly format: LogFormat;
  /** The `service` field of every record: `capstan` or `capstan-worker`. */
  readonly service: string;
  /** Where records go; default stdout. Tests pass a stream to read them back. */
  readonly destination?: DestinationStream & { isTTY?: boolean };
}

/**
 * The process's pino logger. JSON records carry the level as its name (`"level":"info"`) and
 * the time as ISO 8601, so they read without a lookup table and sort as text. Pretty output
 * is one line per record (fields as JSON after the message), written synchronously so it
 * never lands in the middle of other output.
 */
export function createLogger(options: LoggerOptions): PinoLogger {
  const destination = options.destination ?? process.stdout;
  const base = {
    level: options.level,
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const asPretty = options.format === 'pretty' || (options.format === 'auto' && destination.isTTY === true);
  if (!asPretty) return pino(base, options.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    base,
    pretty({
      colorize: destination.isTTY === true,
      ignore: 'pid,hostname,service',
      translateTime: 'SYS:HH:MM:ss.l',
      singleLine: true,
      sync: true,
      destination,
    }),
  );
}
