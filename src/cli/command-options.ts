import { ConfigError } from '../errors/config-error.ts';

/**
 * The options of the commands that start a process (`serve`, `worker`, `migrate`), apart from
 * the commands themselves: the process each starts reads them without importing its command.
 */
export interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
  metricsPort?: string;
  tracing?: boolean;
  dataDir?: string;
  nodeId?: string;
  pipelines?: string[];
  logLevel?: string;
  logFormat?: string;
  set?: string[];
}

/** Command-line flags as configuration keys (the highest-precedence source). */
export function flagsOf(options: ServeOptions): Record<string, string | undefined> {
  const flags: Record<string, string | undefined> = {
    'capstan.port': options.port,
    'capstan.host': options.host,
    'capstan.metrics.port': options.metricsPort,
    'capstan.tracing.enabled': options.tracing ? 'true' : undefined,
    'capstan.data-dir': options.dataDir,
    'capstan.node-id': options.nodeId,
    'capstan.log-level': options.logLevel,
    'capstan.log-format': options.logFormat,
  };
  for (const pair of options.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError([`--set expects key=value, got '${pair}'`]);
    flags[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return flags;
}

/** The options that say where the configuration comes from, shared by `serve` and `migrate`. */
export const configOptions = {
  config: ['--config <file>', 'a .yaml, .yml or .properties config file (env CAPSTAN_CONFIG)'],
  dataDir: ['--data-dir <dir>', 'data directory (env CAPSTAN_DATA_DIR)'],
  set: ['--set <key=value...>', 'any configuration key, e.g. pipeline.orchestrator.max-retries=0'],
  logLevel: [
    '--log-level <level>',
    'trace, debug, info, warn, error, fatal or silent (env CAPSTAN_LOG_LEVEL)',
  ],
  logFormat: [
    '--log-format <format>',
    'auto (pretty on a terminal), json or pretty (env CAPSTAN_LOG_FORMAT)',
  ],
  tracing: [
    '--tracing',
    'send OpenTelemetry traces to capstan.tracing.endpoint (capstan.tracing.enabled; env CAPSTAN_TRACING_ENABLED)',
  ],
} as const;

export interface WorkerOptions {
  config?: string;
  tracing?: boolean;
  port?: string;
  grpcPort?: string;
  queue?: string;
  queueGroup?: string;
  host?: string;
  nodeId?: string;
  pipelines?: string[];
  release?: string[];
  artifactDigest?: string[];
  coordinatorUrl?: string;
  pull?: string;
  slots?: string;
  workerToken?: string;
  logLevel?: string;
  logFormat?: string;
  set?: string[];
}
