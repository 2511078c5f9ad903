import { resolve } from 'node:path';
import type { Command } from 'commander';
import { migratesOnStart, prepareSchema } from '../../store/prepare-schema.ts';
import { configOptions, flagsOf } from '../command-options.ts';

interface RebuildOptions {
  config?: string;
  dataDir?: string;
  set?: string[];
}

/**
 * `capstan rebuild-projections`: replaces every projection of the configured store (the same
 * configuration `serve` reads, SQLite or PostgreSQL) with the fold of its journal. Migrations
 * are applied first as `serve` would: always on SQLite, on PostgreSQL unless
 * `postgres.migrate-on-start=false`, in which case a schema that is not up to date is refused.
 */
export function rebuildProjectionsCommand(program: Command): void {
  program
    .command('rebuild-projections')
    .description('Rebuild executions, checkpoints and interactions from the journal (coordinator stopped)')
    .option(...configOptions.config)
    .option(...configOptions.dataDir)
    .option(...configOptions.set)
    .action(async (options: RebuildOptions) => {
      console.log(`projections rebuilt from the journal in ${await rebuildProjections(options)}`);
    });
}

/** Rebuilds the configured store's projections; resolves with where, fit to print. */
async function rebuildProjections(options: RebuildOptions): Promise<string> {
  // Loaded on demand: the configuration schema (zod, yaml) is not what `capstan --version` needs.
  const { loadConfig } = await import('../../config/load-config.ts');
  const { values } = loadConfig({ file: options.config, flags: flagsOf(options) });
  const dataDir = resolve(values['capstan.data-dir']);
  // The stores (and their drivers) load only when this command runs, so other commands start fast.
  const { openStore } = await import('../../store/open-store.ts');
  const { firstContact, schemaTooNew, storeTarget, unreachable } = await import('../store-errors.ts');
  const store = await openStore(values, { dataDir });
  const target = storeTarget(values, store, dataDir);
  try {
    await firstContact(store, store.ping(), target);
    await prepareSchema(store, migratesOnStart(values, store));
    await store.rebuildProjections();
    return target;
  } catch (error) {
    throw schemaTooNew(error, target) ?? unreachable(store, error, target) ?? error;
  } finally {
    // Bounded: a pool still waiting for a connection would hold the exit up.
    const closing = store.close().catch(() => undefined);
    await Promise.race([closing, new Promise((done) => setTimeout(done, 5000).unref())]);
  }
}
