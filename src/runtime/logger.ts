/** The logging port: pino's shape, so a pino logger fits, and tests can pass a quiet one. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** Whether a level is written; lets a caller skip work for a line nobody reads (pino has it). */
  isLevelEnabled?(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
