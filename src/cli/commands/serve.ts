import type { Command } from 'commander';
import { ConfigError } from '../../errors/config-error.ts';

export interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
  dataDir?: string;
  nodeId?: string;
  pipelines?: string[];
  set?: string[];
}

/** Command-line flags as configuration keys (the highest-precedence source). */
export function flagsOf(options: ServeOptions): Record<string, string | undefined> {
  const flags: Record<string, string | undefined> = {
    'capstan.port': options.port,
    'capstan.host': options.host,
    'capstan.data-dir': options.dataDir,
    'capstan.node-id': options.nodeId,
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
} as const;

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Run a coordinator (embedded SQLite, or PostgreSQL with state-provider=postgres) with a local worker hosting the given pipelines',
    )
    .option(...configOptions.config)
    .option('--port <port>', 'HTTP port (env PORT)', undefined)
    .option('--host <host>', 'address to listen on')
    .option(...configOptions.dataDir)
    .option('--node-id <id>', 'this node’s id (env CAPSTAN_NODE_ID)')
    .option('--pipelines <module...>', 'pipeline modules or folders the local worker hosts')
    .option(...configOptions.set)
    .action(async (options: ServeOptions) => {
      // The coordinator's dependencies load only when it runs, so other commands start fast.
      const { serve } = await import('./serve-coordinator.ts');
      await serve(options);
    });
}
