import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { adminCommands } from './commands/admin.ts';
import { dlqCommands } from './commands/dlq.ts';
import { backupCommands } from './commands/backup.ts';
import { exportCommands } from './commands/export.ts';
import { completionCommand } from './commands/completion.ts';
import { configPrintCommand } from './commands/config-print.ts';
import { devCommand } from './commands/dev.ts';
import { executionCommands } from './commands/executions.ts';
import { healthCommands } from './commands/health.ts';
import { interactionCommands } from './commands/interactions.ts';
import { loginCommands } from './commands/login.ts';
import { migrateCommand } from './commands/migrate.ts';
import { pipelinesCommand } from './commands/pipelines.ts';
import { providerMockCommand } from './commands/provider-mock.ts';
import { rebuildProjectionsCommand } from './commands/rebuild-projections.ts';
import { releaseCommand } from './commands/release-build.ts';
import { releasesCommands } from './commands/releases.ts';
import { scheduleCommands } from './commands/schedules.ts';
import { serveCommand } from './commands/serve.ts';
import { workerCommand } from './commands/worker.ts';
import { workerCommands } from './commands/workers.ts';
import { exitCodesHelp } from './exit-codes.ts';

/** The package's version, from its package.json. */
function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/** The whole command tree; main.ts parses argv with it, and tests read every command's help. */
export function buildProgram(): Command {
  // exitOverride before the commands are added, so every subcommand inherits it: commander's own
  // usage errors then reach reportError and exit 2, like every other documented exit code.
  const program = new Command()
    .name('capstan')
    .description('Capstan: a durable coordinator for TypeScript pipelines')
    .showHelpAfterError()
    .exitOverride()
    .version(packageVersion(), '-V, --version', "print capstan's version")
    .addHelpText('after', exitCodesHelp);
  serveCommand(program);
  devCommand(program);
  workerCommand(program);
  configPrintCommand(program);
  migrateCommand(program);
  releaseCommand(program);
  rebuildProjectionsCommand(program);
  backupCommands(program);
  exportCommands(program);
  executionCommands(program);
  interactionCommands(program);
  adminCommands(program);
  dlqCommands(program);
  releasesCommands(program);
  workerCommands(program);
  scheduleCommands(program);
  healthCommands(program);
  pipelinesCommand(program);
  providerMockCommand(program);
  loginCommands(program);
  // Last: it reads the whole tree to write the completion script.
  completionCommand(program);
  return program;
}
