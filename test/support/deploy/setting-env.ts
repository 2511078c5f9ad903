/**
 * What Capstan makes of an environment a deployment file sets: every name must be one Capstan
 * reads (a setting's variable, a variable the CLI or the worker reads, or a secret some
 * `env:NAME` ref names), and every value must pass the settings' own schemas. A misspelt name
 * would otherwise be ignored without a word.
 */
import { loadConfig } from '../../../src/config/load-config.ts';
import { envNameOf, settings, type Settings } from '../../../src/config/settings.ts';
import { ConfigError } from '../../../src/errors/config-error.ts';

/** Variables Capstan reads that are no setting's (src/cli/connection.ts, run-worker.ts, load-config.ts). */
const OTHER_NAMES = new Set([
  'CAPSTAN_CONFIG',
  'CAPSTAN_TOKEN',
  'CAPSTAN_ADMIN_TOKEN',
  'CAPSTAN_WORKER_TOKEN',
  'CAPSTAN_URL',
  'CAPSTAN_TENANT',
]);

/** Every environment variable a setting is read from. */
export const settingEnvNames: ReadonlySet<string> = new Set(
  Object.entries(settings).flatMap(([key, setting]) => [envNameOf(key), ...setting.env]),
);

/** The variables `env:NAME` refs among the values name (the secrets they point at). */
export function referencedNames(env: Readonly<Record<string, string>>): string[] {
  return Object.values(env).flatMap((value) => (value.startsWith('env:') ? [value.slice(4)] : []));
}

/** Problems with an environment: names Capstan never reads, values the settings refuse. */
export function envProblems(env: Readonly<Record<string, string>>, where: string): string[] {
  const problems: string[] = [];
  const referenced = new Set(referencedNames(env));
  for (const name of Object.keys(env))
    if (!settingEnvNames.has(name) && !OTHER_NAMES.has(name) && !referenced.has(name))
      problems.push(`${where}: ${name} is no setting's variable, nor one Capstan reads`);
  const config = configOf(env);
  if (config instanceof ConfigError) problems.push(...config.problems.map((p) => `${where}: ${p}`));
  return problems;
}

/**
 * The `env:NAME` refs among `settings` (names of the variables holding them; default: all of
 * `env`) whose variable `env` does not set: the process would refuse to start.
 */
export function refProblems(
  env: Readonly<Record<string, string>>,
  where: string,
  settings: readonly string[] = Object.keys(env),
): string[] {
  const refs = referencedNames(Object.fromEntries(settings.map((name) => [name, env[name] ?? ''])));
  return refs.filter((name) => !env[name]).map((name) => `${where}: a ref names ${name}, which is not set`);
}

/** The settings an environment gives Capstan (flags and files left out), or what it refuses. */
export function configOf(env: Readonly<Record<string, string>>): Settings | ConfigError {
  try {
    return loadConfig({ env: { ...env }, flags: {} }).values;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}
