import type { Command } from 'commander';
import { configOptions, type ServeOptions } from '../command-options.ts';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Run a coordinator (embedded SQLite, or PostgreSQL with state-provider=postgres) with a local worker hosting the given pipelines',
    )
    .option(...configOptions.config)
    .option('--port <port>', 'HTTP port (env PORT)', undefined)
    .option('--host <host>', 'address to listen on')
    .option('--metrics-port <port>', 'serve GET /metrics without a token on this port (capstan.metrics.port)')
    .option(...configOptions.dataDir)
    .option('--node-id <id>', 'this node’s id (env CAPSTAN_NODE_ID)')
    .option('--pipelines <module...>', 'pipeline modules or folders the local worker hosts')
    .option(...configOptions.logLevel)
    .option(...configOptions.logFormat)
    .option(...configOptions.tracing)
    .option(...configOptions.set)
    .action(async (options: ServeOptions) => {
      // The coordinator's dependencies load only when it runs, so other commands start fast.
      const { serve } = await import('./serve-coordinator.ts');
      await serve(options);
    });
}
