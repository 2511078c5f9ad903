/**
 * What the coordinator's API answers, as the client returns it: the types the shared schemas
 * of `src/api-schema/` infer, the same the server builds its answers with and the OpenAPI
 * document shows (docs/compat.md); times are epoch milliseconds. Imported as types only, so
 * the client loads no zod at run time. The filters and requests the client takes are its own.
 */
import type { ExecutionResultBody, ExecutionStatusName } from '../api-schema/index.ts';

export type {
  Activation,
  AwaitAdmission,
  Backend,
  ClusterInfo,
  ClusterNode,
  ClusterNodes,
  Completion,
  DlqEntry,
  DlqGroup,
  DlqGroups,
  DlqPage,
  DlqReasonName,
  ExecutionPage,
  ExecutionStatus,
  ExecutionStatusName,
  HistoryEvent,
  HistoryPage,
  Interaction,
  ItemsProgress,
  PipelineSummary,
  Readiness,
  Redriven,
  MissedFirePolicyBody as MissedFirePolicy,
  RedriveTargetBody,
  Release,
  Schedule,
  Submitted,
  Topology,
  Worker,
  WorkerState,
} from '../api-schema/index.ts';

export const TERMINAL_STATUSES: readonly ExecutionStatusName[] = ['SUCCEEDED', 'FAILED', 'DLQ', 'CANCELLED'];

/** `GET …/result`: the status, and the result once SUCCEEDED (null otherwise), typed as the pipeline's output. */
export type ExecutionResult<Output = unknown> = Omit<ExecutionResultBody, 'result'> & {
  readonly result: Output | null;
};

export interface ListFilter {
  readonly status?: ExecutionStatusName | readonly ExecutionStatusName[];
  readonly pipelineId?: string;
  readonly releaseVersion?: string;
  readonly errorCode?: string;
  /** The items (child executions) of this parent: what its `expand` step made. */
  readonly parentExecutionId?: string;
  /** The executions this schedule started. */
  readonly scheduleId?: string;
  /** Created at or after (epoch ms or a Date). */
  readonly createdFrom?: number | Date;
  /** Created before (epoch ms or a Date). */
  readonly createdTo?: number | Date;
  /** Page size (1..1000, default 100). */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface PendingFilter {
  readonly assignee?: string;
  readonly group?: string;
  readonly stepId?: string;
  readonly limit?: number;
}

export interface WorkerRegistration {
  readonly workerId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly protocol: 'local' | 'rest' | 'grpc' | 'queue' | 'sqs' | 'pull';
  readonly endpoint: string;
  readonly artifactId?: string;
  readonly artifactDigest?: string;
}
