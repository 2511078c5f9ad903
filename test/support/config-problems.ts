import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';

/** The settings a coordinator would resolve from this environment alone. */
export const valuesOf = (env: Record<string, string>) => loadConfig({ env }).values;

/** The problems a ConfigError thrown by `fn` lists, one a line; '' when it throws none. */
export function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  return '';
}
