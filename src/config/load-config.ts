import { settings, envNameOf, type SettingKey, type Settings } from './settings.ts';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type ConfigSource = 'default' | 'env' | 'flag';

export interface LoadedConfig {
  readonly values: Settings;
  readonly sources: Readonly<Record<SettingKey, ConfigSource>>;
}

/**
 * Builds the effective configuration: defaults, then the environment, then flags (later wins).
 * Every value is validated against its schema and every problem is reported at once; the
 * result is frozen.
 */
export function loadConfig(options: {
  env?: NodeJS.ProcessEnv;
  flags?: Readonly<Record<string, string | number | boolean | undefined>>;
}): LoadedConfig {
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const problems: string[] = [];
  for (const key of Object.keys(flags)) {
    if (!(key in settings)) problems.push(`unknown setting '${key}'`);
  }
  const values: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const [key, setting] of Object.entries(settings)) {
    let raw: unknown = setting.default;
    let source: ConfigSource = 'default';
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
    if (parsed.success) values[key] = parsed.data;
    else problems.push(`${key} (from ${source}): ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    sources[key] = source;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    values: Object.freeze(values) as Settings,
    sources: Object.freeze(sources) as Record<SettingKey, ConfigSource>,
  });
}
