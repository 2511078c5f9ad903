import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../../errors/cli-error.ts';
import { ExecutionStatus } from '../../domain/execution-status.ts';
import type { Store } from '../../store/store-port.ts';

interface ExportOptions {
  dataDir?: string;
  postgresUrl?: string;
  schema: string;
  tenant: string;
  execution?: string;
  pipeline?: string;
  status?: string[];
  since?: string;
  out?: string;
}

const PAGE = 500;

/** The executions the flags pick: one by id, else every one the filter matches, oldest first. */
async function* executionIds(store: Store, options: ExportOptions): AsyncGenerator<string> {
  if (options.execution !== undefined) {
    const found = await store.readJournal(options.execution, 0, 1);
    if (found.length === 0)
      throw new CliError('execution_not_found', `no journal for execution ${options.execution}`);
    yield options.execution;
    return;
  }
  const statuses = options.status?.map((s) => {
    if (!(s in ExecutionStatus))
      throw new CliError('invalid_argument', `--status ${s} is not an execution status`);
    return s as ExecutionStatus;
  });
  let createdFromMs: number | undefined;
  if (options.since !== undefined) {
    createdFromMs = Date.parse(options.since);
    if (Number.isNaN(createdFromMs))
      throw new CliError('invalid_argument', `--since ${options.since} is not an ISO date`);
  }
  const ids: string[] = [];
  let after: { createdAtMs: number; executionId: string } | undefined;
  for (;;) {
    const page = await store.listExecutions(options.tenant, {
      statuses,
      pipelineId: options.pipeline,
      createdFromMs,
      after,
      limit: PAGE,
    });
    for (const e of page) ids.push(e.executionId);
    if (page.length < PAGE) break;
    const last = page[page.length - 1]!;
    after = { createdAtMs: last.createdAtMs, executionId: last.executionId };
  }
  // Pages come newest first; an export reads in the order things happened.
  yield* ids.reverse();
}

async function openExportStore(options: ExportOptions) {
  if ((options.dataDir === undefined) === (options.postgresUrl === undefined))
    throw new CliError('invalid_argument', 'give --data-dir (SQLite) or --postgres-url');
  if (options.dataDir !== undefined && !existsSync(resolve(options.dataDir, 'capstan.db')))
    throw new CliError('backup_source_not_found', `${resolve(options.dataDir, 'capstan.db')} does not exist`);
  const { loadConfig } = await import('../../config/load-config.ts');
  const flags: Record<string, string | undefined> =
    options.postgresUrl !== undefined
      ? {
          'pipeline.orchestrator.state-provider': 'postgres',
          'pipeline.orchestrator.postgres.url': options.postgresUrl,
          'pipeline.orchestrator.postgres.schema': options.schema,
        }
      : { 'capstan.data-dir': options.dataDir };
  const { values } = loadConfig({ flags });
  const { openStore } = await import('../../store/open-store.ts');
  try {
    return await openStore(values, { dataDir: resolve(values['capstan.data-dir']) });
  } catch (error) {
    // A serving coordinator holds its SQLite file: export its backup, or stop it.
    throw new CliError('store_unreachable', (error as Error).message);
  }
}

/** Writes the chosen executions' journals as chained JSON lines; resolves with the count. */
async function runExport(options: ExportOptions): Promise<{ events: number; executions: number }> {
  const { exportLines } = await import('../../retention/journal-export.ts');
  if (options.out !== undefined && existsSync(resolve(options.out)))
    throw new CliError('invalid_argument', `${resolve(options.out)} exists already`);
  const store = await openExportStore(options);
  const out =
    options.out === undefined ? process.stdout : createWriteStream(resolve(options.out), { flags: 'wx' });
  // Failures reach the write callbacks; without a listener they would also crash the process.
  out.on('error', () => undefined);
  const write = (line: string) =>
    new Promise<void>((done, fail) => out.write(`${line}\n`, (error) => (error ? fail(error) : done())));
  let executions = 0;
  async function* counted(): AsyncGenerator<string> {
    for await (const id of executionIds(store, options)) {
      executions += 1;
      yield id;
    }
  }
  let lines = 0;
  try {
    for await (const line of exportLines(store, counted())) {
      await write(line);
      lines += 1;
    }
  } finally {
    if (out !== process.stdout) await new Promise<void>((done) => out.end(() => done()));
    await store.close().catch(() => undefined);
  }
  // Every line but the end line is one event.
  return { events: lines - 1, executions };
}

/** `capstan export` and `capstan export verify` (docs/history-export.md). */
export function exportCommands(program: Command): void {
  const exportCommand = program
    .command('export')
    .description(
      "Write executions' journals as hash-chained JSON lines, from the store (or a restored backup)",
    )
    .option('--data-dir <dir>', 'the SQLite data directory (coordinator stopped, or a restored backup)')
    .option('--postgres-url <url>', 'the PostgreSQL database')
    .option('--schema <name>', 'the PostgreSQL schema', 'capstan')
    .option('--tenant <id>', 'the tenant', 'default')
    .option('--execution <id>', 'one execution')
    .option('--pipeline <id>', "only this pipeline's executions")
    .option('--status <status...>', 'only executions in these statuses')
    .option('--since <iso-date>', 'only executions created at or after this instant')
    .option('--out <file>', 'write here (must not exist) instead of stdout')
    .action(async (options: ExportOptions) => {
      const { events, executions } = await runExport(options);
      if (options.out !== undefined)
        console.log(`wrote ${resolve(options.out)}: ${events} events of ${executions} executions`);
    });
  exportCommand
    .command('verify <file>')
    .description("Check an export's hash chain: exit 0 when intact, 12 naming the first broken line")
    .action(async (file: string) => {
      const { verifyChain } = await import('../../domain/export-chain.ts');
      let text: string;
      try {
        text = readFileSync(resolve(file), 'utf8');
      } catch (error) {
        throw new CliError('export_unreadable', `${file} cannot be read: ${(error as Error).message}`);
      }
      const verdict = verifyChain(text.split('\n'));
      if (!verdict.ok) throw new CliError('export_chain_broken', `line ${verdict.line}: ${verdict.reason}`);
      console.log(`intact: ${verdict.events} events, last hash ${verdict.lastHash}`);
    });
}
