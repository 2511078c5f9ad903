import type { Command } from 'commander';
import type { ExecutionStatusDto } from '../../http/dto.ts';
import { clientFrom, type ConnectionFlags } from '../api-client.ts';
import { apiCommand } from '../api-command.ts';
import { integer, jsonArgument, timestamp } from '../arguments.ts';
import { print, renderFields, renderTable, time, type Column } from '../output.ts';

type Flags = ConnectionFlags & { json?: boolean };
const enc = encodeURIComponent;

interface Submitted {
  executionId: string;
  duplicate: boolean;
  statusUrl: string;
  submittedAtEpochMs: number;
  pipelineId: string;
  contractVersion: string;
  releaseVersion: string;
}
interface ResultResponse {
  status: ExecutionStatusDto;
  result: unknown;
  resultPayload: unknown;
}
interface HistoryResponse {
  events: { seq: number; type: string; atEpochMs: number; data: unknown }[];
  nextAfterSeq: number | null;
}
interface ListResponse {
  items: ExecutionStatusDto[];
  nextCursor: string | null;
}

/** An execution's status object as aligned `label  value` lines; a failure's stack below them. */
export function statusFields(s: ExecutionStatusDto): string {
  const fields = renderFields([
    ['execution', s.executionId],
    ['status', s.waitingFor ? `${s.status} (waiting for ${s.waitingFor})` : s.status],
    ['pipeline', s.pipelineId],
    ['contract', s.contractVersion],
    ['release', s.releaseVersion],
    ['step', s.stepIndex],
    ['attempt', s.attempt],
    ['version', s.version],
    ['await unit', s.awaitUnitId],
    ['next due', time(s.nextDueAtEpochMs)],
    ['created', time(s.createdAtEpochMs)],
    ['updated', time(s.updatedAtEpochMs)],
    ['error', s.errorCode ? `${s.errorCode}: ${s.errorMessage ?? ''}` : null],
    ['dlq reason', s.dlqReason],
  ]);
  return s.errorStack ? `${fields}\n\nstack of the failure\n${indent(s.errorStack)}` : fields;
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

const listColumns: Column<ExecutionStatusDto>[] = [
  { header: 'execution', value: (s) => s.executionId },
  { header: 'status', value: (s) => s.status },
  { header: 'pipeline', value: (s) => s.pipelineId },
  { header: 'release', value: (s) => s.releaseVersion },
  { header: 'step', value: (s) => s.stepIndex },
  { header: 'attempt', value: (s) => s.attempt },
  { header: 'updated', value: (s) => time(s.updatedAtEpochMs) },
  { header: 'error', value: (s) => s.errorCode },
];

const historyColumns: Column<HistoryResponse['events'][number]>[] = [
  { header: 'seq', value: (e) => e.seq },
  { header: 'at', value: (e) => time(e.atEpochMs) },
  { header: 'type', value: (e) => e.type },
  { header: 'data', value: (e) => e.data, max: 100 },
];

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
        const client = clientFrom(options);
        const body = { pipelineId: options.pipeline, input, idempotencyKey: options.key };
        const r = await client.post<Submitted>(client.controlPlane('/executions'), 'operator', body);
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
      const client = clientFrom(options);
      const s = await client.get<ExecutionStatusDto>(
        client.controlPlane(`/executions/${enc(id)}`),
        'operator',
      );
      print(options, s, () => statusFields(s));
    },
  );

  apiCommand(program, 'list', 'List executions, newest first, with optional filters')
    .option('--status <status>', 'only these statuses, comma-separated (e.g. DLQ,FAILED)')
    .option('--pipeline <id>', 'only this pipeline')
    .option('--release <version>', 'only this release version')
    .option('--error-code <code>', 'only this error code')
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
          createdFrom?: number;
          createdTo?: number;
          limit?: number;
          cursor?: string;
        },
      ) => {
        const client = clientFrom(options);
        const r = await client.get<ListResponse>(client.controlPlane('/executions'), 'operator', {
          status: options.status,
          pipelineId: options.pipeline,
          releaseVersion: options.release,
          errorCode: options.errorCode,
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
    .action(async (id: string, options: Flags & { waitMs?: number }) => {
      const client = clientFrom(options);
      const r = await client.get<ResultResponse>(
        client.controlPlane(`/executions/${enc(id)}/result`),
        'operator',
        { waitMs: options.waitMs },
      );
      print(options, r, () =>
        r.status.status === 'SUCCEEDED'
          ? `${r.status.executionId}  SUCCEEDED\n${JSON.stringify(r.result, null, 2)}`
          : `${statusFields(r.status)}\n\nno result: the execution is ${r.status.status}`,
      );
    });

  apiCommand(program, 'history <executionId>', "Show an execution's journal events, oldest first")
    .option('--after-seq <n>', 'only events after this sequence number', integer)
    .option('--limit <n>', 'at most n events (max 1000)', integer)
    .action(async (id: string, options: Flags & { afterSeq?: number; limit?: number }) => {
      const client = clientFrom(options);
      const r = await client.get<HistoryResponse>(
        client.controlPlane(`/executions/${enc(id)}/history`),
        'operator',
        { afterSeq: options.afterSeq, limit: options.limit },
      );
      print(options, r, () => {
        const table = renderTable(r.events, historyColumns);
        return r.nextAfterSeq === null ? table : `${table}\n\nmore: --after-seq ${r.nextAfterSeq}`;
      });
    });

  apiCommand(program, 'cancel <executionId>', 'Cancel an execution that has not finished').action(
    async (id: string, options: Flags) => {
      const client = clientFrom(options);
      const s = await client.post<ExecutionStatusDto>(
        client.controlPlane(`/executions/${enc(id)}/cancel`),
        'operator',
      );
      print(options, s, () => statusFields(s));
    },
  );
}
