import { join, resolve } from 'node:path';
import type { Command } from 'commander';

export function rebuildProjectionsCommand(program: Command): void {
  program
    .command('rebuild-projections')
    .description('Rebuild executions, checkpoints and interactions from the journal (coordinator stopped)')
    .option('--data-dir <dir>', 'data directory', process.env.CAPSTAN_DATA_DIR ?? './.capstan')
    .action(async (options: { dataDir: string }) => {
      const { SqliteStore } = await import('../../store/sqlite/sqlite-store.ts');
      const store = new SqliteStore({ file: join(resolve(options.dataDir), 'capstan.db') });
      try {
        await store.migrate();
        await store.rebuildProjections();
        console.log(`projections rebuilt from the journal in ${resolve(options.dataDir)}`);
      } finally {
        await store.close();
      }
    });
}
