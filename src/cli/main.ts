import { Command } from 'commander';
import { ConfigError } from '../config/load-config.ts';
import { rebuildProjectionsCommand } from './commands/rebuild-projections.ts';
import { releaseCommand } from './commands/release-build.ts';
import { serveCommand } from './commands/serve.ts';

const program = new Command()
  .name('capstan')
  .description('Capstan: a durable coordinator for TypeScript pipelines')
  .showHelpAfterError();
serveCommand(program);
releaseCommand(program);
rebuildProjectionsCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `capstan: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(error instanceof ConfigError ? 78 : 1);
}
