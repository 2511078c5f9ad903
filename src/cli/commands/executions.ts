import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ExecutionStatus, HistoryEvent } from '../../client/index.ts';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { apiCommand } from '../api-command.ts';
import { integer, jsonArgument, timestamp } from '../arguments.ts';
import { EXIT, ExecutionOutcome } from '../exit-codes.ts';
import { print, renderFields, renderTable, time, type Column } from '../output.ts';

type Flags = ConnectionFlags & { json?: boolean };

/** A step index with its name beside it: `2 (await-restaurant-decision)`. */
export function stepLabel(index: number | null | undefined, name: string | null | undefined): string | null {
  if (index === null || index === undefined) return null;
  return name ? `${index} (${name})` : String(index);
}

/** An execution's status object as aligned `label  value` lines; a failure's stack below them. */
export function statusFields(s: ExecutionStatus): string {
  const fields = renderFields([
    ['execution', s.executionId],
    ['status', s.waitingFor ? `${s.status} (waiting for ${s.waitingFor})` : s.status],
    ['pipeline', s.pipelineId],
    ['contract', s.contractVersion],
    ['release', s.releaseVersion],
    ['step', stepLabel(s.stepIndex, s.stepId)],
    ['attempt', s.attempt],
    ['version', s.version],
    ['await unit', s.awaitUnitId],
    ['next due', time(s.nextDueAtEpochMs)],
    ['created', time(s.createdAtEpochMs)],
    ['updated', time(s.updatedAtEpochMs)],
    ['error', s.errorCode ? `${s.errorCode}: ${s.errorMessage ?? ''}` : null],
    ['dlq reason', s.dlqReason],
    ...(s.scheduleId === undefined ? [] : ([['schedule', s.scheduleId]] as const)),
  ]);
  return s.errorStack ? `${fields}\n\nstack of the failure\n${indent(s.errorStack)}` : fields;
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

const listColumns: Column<ExecutionStatus>[] = [
  { header: 'execution', value: (s) => s.executionId },
  { header: 'status', value: (s) => s.status },
  { header: 'pipeline', value: (s) => s.pipelineId },
  { header: 'release', value: (s) => s.releaseVersion },
  { header: 'step', value: (s) => stepLabel(s.stepIndex, s.stepId) },
  { header: 'attempt', value: (s) => s.attempt },
  { header: 'updated', value: (s) => time(s.updatedAtEpochMs) },
  { header: 'error', value: (s) => s.errorCode },
];

const historyColumns: Column<HistoryEvent>[] = [
  { header: 'seq', value: (e) => e.seq },
  { header: 'at', value: (e) => time(e.atEpochMs) },
  { header: 'type', value: (e) => e.type },
  {
    header: 'step',
    value: (e) => stepLabel((e.data as { stepIndex?: number } | null)?.stepIndex, e.stepId),
  },
  { header: 'data', value: (e) => e.data, max: 100 },
];

/** A wait: milliseconds, or a number with a unit (`500ms`, `30s`, `5m`, `1h`). */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration: 30s, 5m, 1h or milliseconds.');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms'] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

/** `result --wait`: the exit code for how the execution stands once the wait is over. */
const OUTCOME_EXIT: Record<string, number> = {
  SUCCEEDED: EXIT.ok,
  FAILED: EXIT.executionFailed,
  DLQ: EXIT.executionDlq,
  CANCELLED: EXIT.executionCancelled,
};

/** submit, status, list, result, history, cancel (control plane, operator token). */
export function executionCommands(program: Command): void {
  apiCommand(program, 'submit', 'Submit an execution of a pipeline (prints its executionId)')
    .requiredOption('--pipeline <id>', 'pipeline id')
    .option('--input <json>', 'the input, as JSON')
    .option('--input-file <path>', 'a file holding the input as JSON (- for stdin)')
    .option('--key <idempotencyKey>', 'idempotency key: the same key and input return the same execution')
    .action(
      async (
        options: Flags & { pipeline: string; input?: string; inputFile?: string; key?: string },
        command: Command,
      ) => {
        const input = await jsonArgument(command, 'input', options.input, options.inputFile);
        const r = await clientFrom(options).submit(options.pipeline, input, { idempotencyKey: options.key });
        print(options, r, () =>
          renderFields([
            ['execution', r.executionId],
            ['duplicate', r.duplicate],
            ['pipeline', r.pipelineId],
            ['contract', r.contractVersion],
            ['release', r.releaseVersion],
            ['submitted', time(r.submittedAtEpochMs)],
          ]),
        );
      },
    );

  apiCommand(program, 'status <executionId>', "Show an execution's status").action(
    async (id: string, options: Flags) => {
      const s = await clientFrom(options).get(id);
      print(options, s, () => statusFields(s));
    },
  );

  apiCommand(program, 'list', 'List executions, newest first, with optional filters')
    .option('--status <status>', 'only these statuses, comma-separated (e.g. DLQ,FAILED)')
    .option('--pipeline <id>', 'only this pipeline')
    .option('--release <version>', 'only this release version')
    .option('--error-code <code>', 'only this error code')
    .option('--schedule <id>', 'only the executions this schedule started')
    .option('--created-from <time>', 'created at or after (epoch ms or ISO 8601)', timestamp)
    .option('--created-to <time>', 'created before (epoch ms or ISO 8601)', timestamp)
    .option('--limit <n>', 'page size', integer)
    .option('--cursor <cursor>', 'the nextCursor of the previous page')
    .action(
      async (
        options: Flags & {
          status?: string;
          pipeline?: string;
          release?: string;
          errorCode?: string;
          schedule?: string;
          createdFrom?: number;
          createdTo?: number;
          limit?: number;
          cursor?: string;
        },
      ) => {
        const r = await clientFrom(options).listPage({
          // Sent as given: the coordinator names a status it does not know, and the allowed ones.
          status: options.status as ExecutionStatus['status'] | undefined,
          pipelineId: options.pipeline,
          releaseVersion: options.release,
          errorCode: options.errorCode,
          scheduleId: options.schedule,
          createdFrom: options.createdFrom,
          createdTo: options.createdTo,
          limit: options.limit,
          cursor: options.cursor,
        });
        print(options, r, () => {
          const table = renderTable(r.items, listColumns);
          return r.nextCursor ? `${table}\n\nmore: --cursor ${r.nextCursor}` : table;
        });
      },
    );

  apiCommand(
    program,
    'result <executionId>',
    "Show an execution's result, optionally waiting for it to settle",
  )
    .option('--wait-ms <n>', 'wait up to n ms (max 60000) for the execution to settle', integer)
    .option(
      '--wait [duration]',
      'wait for the execution (no limit, or e.g. 30s, 5m); the exit code then says how it ended: ' +
        '0 SUCCEEDED, 8 FAILED, 9 DLQ, 10 CANCELLED, 11 not finished',
      duration,
    )
    .addOption(
      new Option(
        '--until <state>',
        'settled: stop at a park (an await step) too; terminal: wait through parks (implies --wait)',
      ).choices(['settled', 'terminal']),
    )
    .action(
      async (
        id: string,
        options: Flags & { waitMs?: number; wait?: number | true; until?: 'settled' | 'terminal' },
        command: Command,
      ) => {
        if (options.waitMs !== undefined && (options.wait !== undefined || options.until !== undefined))
          command.error('error: give either --wait-ms or --wait/--until, not both');
        const waiting = options.wait !== undefined || options.until !== undefined;
        const timeoutMs = waiting
          ? typeof options.wait === 'number'
            ? options.wait
            : undefined
          : (options.waitMs ?? 0);
        const r = await clientFrom(options).result(id, { timeoutMs, until: options.until ?? 'settled' });
        print(options, r, () =>
          r.status.status === 'SUCCEEDED'
            ? `${r.status.executionId}  SUCCEEDED\n${JSON.stringify(r.result, null, 2)}`
            : `${statusFields(r.status)}\n\nno result: the execution is ${r.status.status}`,
        );
        const exit = OUTCOME_EXIT[r.status.status] ?? EXIT.executionNotFinished;
        if (waiting && exit !== EXIT.ok) throw new ExecutionOutcome(r.status.status, exit);
      },
    );

  apiCommand(program, 'history <executionId>', "Show an execution's journal events, oldest first")
    .option('--after-seq <n>', 'only events after this sequence number', integer)
    .option('--limit <n>', 'at most n events (max 1000)', integer)
    .action(async (id: string, options: Flags & { afterSeq?: number; limit?: number }) => {
      const r = await clientFrom(options).history(id, { afterSeq: options.afterSeq, limit: options.limit });
      print(options, r, () => {
        const table = renderTable(r.events, historyColumns);
        return r.nextAfterSeq === null ? table : `${table}\n\nmore: --after-seq ${r.nextAfterSeq}`;
      });
    });

  apiCommand(program, 'cancel <executionId>', 'Cancel an execution that has not finished').action(
    async (id: string, options: Flags) => {
      const s = await clientFrom(options).cancel(id);
      print(options, s, () => statusFields(s));
    },
  );
}
