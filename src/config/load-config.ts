import { ConfigError } from '../errors/config-error.ts';
import { readConfigFile, type ConfigFile } from './config-file.ts';
import { artifactStoreProblems } from './artifact-store-check.ts';
import { settings, envNameOf, type SettingKey, type Settings } from './settings.ts';

/**
 * Runs a configuration step and returns its result, or, when it throws a ConfigError, adds that
 * error's problems to `problems` and returns undefined: so several steps' problems can be
 * reported at once.
 */
export function attemptConfig<T>(problems: string[], configure: () => T): T | undefined {
  try {
    return configure();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

export interface LoadedConfig {
  readonly values: Settings;
  readonly sources: Readonly<Record<SettingKey, ConfigSource>>;
  /** What the config file set that Capstan ignores (TPF or Quarkus keys it does not implement). */
  readonly warnings: readonly string[];
}

/**
 * Builds the effective configuration: defaults, then the config file (`file`, else the
 * environment's `CAPSTAN_CONFIG`), then the environment, then flags (later wins). Every value is
 * validated against its schema and every problem, from all sources, is reported at once; the
 * result is frozen.
 */
export function loadConfig(options: {
  env?: NodeJS.ProcessEnv;
  flags?: Readonly<Record<string, string | number | boolean | undefined>>;
  file?: string;
}): LoadedConfig {
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const problems: string[] = [];
  const path = options.file ?? (env.CAPSTAN_CONFIG || undefined);
  const file = path === undefined ? undefined : readFile(path, problems);
  for (const key of Object.keys(flags)) {
    if (!Object.hasOwn(settings, key)) problems.push(`unknown setting '${key}'`);
  }
  const values: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const [key, setting] of Object.entries(settings)) {
    let raw: unknown = setting.default;
    let source: ConfigSource = 'default';
    const fromFile = file?.values[key];
    if (fromFile !== undefined) {
      // As text, as the environment gives it: every schema takes that, while YAML's own types
      // would trip them (`node-id: 7` is no string; a coerced `max-retries: true` would be 1).
      raw = String(fromFile);
      source = 'file';
    }
    for (const name of [envNameOf(key), ...setting.env]) {
      const fromEnv = env[name];
      if (fromEnv !== undefined && fromEnv !== '') {
        raw = fromEnv;
        source = 'env';
        break;
      }
    }
    if (flags[key] !== undefined) {
      raw = flags[key];
      source = 'flag';
    }
    const parsed = setting.schema.safeParse(raw);
    const from = source === 'file' ? `file ${path}:${file?.lines[key]}` : source;
    if (parsed.success) values[key] = parsed.data;
    else problems.push(`${key} (from ${from}): ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    sources[key] = source;
  }
  problems.push(...crossCheck(values, sources), ...artifactStoreProblems(values, sources));
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    values: Object.freeze(values) as Settings,
    sources: Object.freeze(sources) as Record<SettingKey, ConfigSource>,
    warnings: Object.freeze([...(file?.warnings ?? [])]),
  });
}

/** What no single value shows: settings that only make sense together. */
function crossCheck(values: Record<string, unknown>, sources: Record<string, ConfigSource>): string[] {
  const provider = 'pipeline.orchestrator.state-provider';
  const url = 'pipeline.orchestrator.postgres.url';
  // An invalid url (no value, no source of its own) is already a problem of its own.
  if (values[provider] !== 'postgres' || values[url] !== undefined || sources[url] !== 'default') return [];
  return [
    `${provider}=postgres (from ${sources[provider]}) needs ${url}: set it, or ${envNameOf(url)}, ` +
      'to postgres://user:password@host:port/database or a secret ref env:NAME or file:/path',
  ];
}

/** The file's settings; what makes it unusable joins the other problems instead of hiding them. */
function readFile(path: string, problems: string[]): ConfigFile | undefined {
  return attemptConfig(problems, () => {
    const file = readConfigFile(path);
    problems.push(...file.problems);
    return file;
  });
}
