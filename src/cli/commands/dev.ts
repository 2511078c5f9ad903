import type { Command } from 'commander';
import { configOptions, type ServeOptions } from '../command-options.ts';

export function devCommand(program: Command): void {
  program
    .command('dev')
    .description(
      'Run a coordinator for development: serve the given pipelines, and on every save build, register and activate a new release (older releases keep running their live executions)',
    )
    .requiredOption('--pipelines <module...>', 'pipeline modules or folders to serve and watch')
    .option(...configOptions.config)
    .option('--port <port>', 'HTTP port (env PORT)', undefined)
    .option('--host <host>', 'address to listen on')
    .option(...configOptions.dataDir)
    .option('--node-id <id>', 'this node’s id (env CAPSTAN_NODE_ID)')
    .option(...configOptions.set)
    .action(async (options: ServeOptions & { pipelines: string[] }) => {
      // Loaded only when it runs, so other commands start fast.
      const { runDev } = await import('./run-dev.ts');
      await runDev(options);
    });
}
