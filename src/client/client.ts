import type { TokenRole } from './errors.ts';
import { ExecutionList } from './list-pages.ts';
import { TypedPipelineClient } from './pipeline-client.ts';
import type { PipelineInput, PipelineOutput, PipelineRef } from './pipeline-types.ts';
import { ReleasesClient } from './releases.ts';
import { SchedulesClient } from './schedules.ts';
import { enc, type Requester } from './requester.ts';
import { waitForResult, type ResultOptions } from './result-wait.ts';
import { resolveRetry, type RetryOptions } from './retry.ts';
import { parseBaseUrl, send, type Answer, type RequestOptions, type TransportSettings } from './transport.ts';
import type {
  AwaitAdmission,
  RedriveTargetBody,
  ClusterInfo,
  ClusterNodes,
  Completion,
  ExecutionPage,
  ExecutionResult,
  ExecutionStatus,
  HistoryPage,
  Interaction,
  ListFilter,
  PendingFilter,
  PipelineSummary,
  Readiness,
  Redriven,
  Submitted,
} from './types.ts';
import { WorkersClient } from './workers.ts';
import { DlqClient } from './dlq.ts';

export interface ClientOptions {
  /** The coordinator's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The operator token (opens the control plane); an admin token opens it too. */
  readonly token?: string | undefined;
  /** The admin token, for re-drive, releases and workers; default: `token`. */
  readonly adminToken?: string | undefined;
  /** The worker token, for a worker's own register and heartbeat; default: the admin token. */
  readonly workerToken?: string | undefined;
  /** The tenant; default `default`. */
  readonly tenant?: string | undefined;
  /** A fetch to use instead of the global one (a proxy agent, tests). */
  readonly fetch?: typeof fetch | undefined;
  /** Retries when no answer came; `false` tries once. Default: 6 tries over about 6 s. */
  readonly retry?: RetryOptions | false | undefined;
}

export interface SubmitOptions {
  /**
   * The same key (and input) always names the same execution, so a repeated submit cannot
   * start a second one. Without one, the coordinator keys the execution by its input (unless
   * its idempotency policy requires a key). Retries send the same key.
   */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

export type CompleteRequest = (
  | { readonly interactionId: string; readonly correlationId?: undefined }
  | { readonly correlationId: string; readonly interactionId?: undefined }
) & {
  readonly response: unknown;
  readonly idempotencyKey?: string;
  /** Who answered (recorded in the journal). */
  readonly actor?: string;
};

export interface RedriveOptions {
  /** Refused (`execution_version_conflict`) unless the execution is at this version. */
  readonly expectedVersion?: number;
  readonly reason?: string;
  /** Re-drive a FAILED execution too (normally only DLQ ones). */
  readonly allowFailed?: boolean;
  /**
   * Where to: `pinned` (default, its own release), `active`, or `{ releaseVersion }`; another
   * release must have the execution's contract version (409 `release_incompatible`).
   */
  readonly targetRelease?: RedriveTargetBody;
}

const epochMs = (t: number | Date | undefined) => (t instanceof Date ? t.getTime() : t);

/**
 * A client of one coordinator's HTTP API, for one tenant. Every call returns the API's JSON,
 * typed; a refusal throws `CapstanApiError` (with the catalogue `code` and `details`), no
 * answer after the retries `CapstanConnectionError`.
 */
export class CapstanClient {
  readonly baseUrl: string;
  readonly tenant: string;
  /** A pipeline's releases (admin token). */
  readonly releases: ReleasesClient;
  /** A pipeline's remote workers (admin token). */
  readonly workers: WorkersClient;
  /** Cron and interval schedules of pipelines (admin token). */
  readonly schedules: SchedulesClient;
  /** The tenant's DLQ: entries and groups by failure fingerprint (admin token). */
  readonly dlq: DlqClient;
  readonly #settings: TransportSettings;

  constructor(options: ClientOptions) {
    this.baseUrl = parseBaseUrl(options.url);
    this.tenant = options.tenant ?? 'default';
    const admin = options.adminToken ?? options.token;
    this.#settings = {
      baseUrl: this.baseUrl,
      tokens: { operator: options.token, admin, worker: options.workerToken ?? admin },
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      retry: resolveRetry(options.retry),
    };
    this.releases = new ReleasesClient(this.request, this.tenant);
    this.workers = new WorkersClient(this.request, this.tenant);
    this.schedules = new SchedulesClient(this.request, this.tenant);
    this.dlq = new DlqClient(this.request, this.tenant);
  }

  /** Any API call, with the token of `role`: for routes this client has no method for. */
  readonly request: Requester = <T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    role: TokenRole,
    options: RequestOptions,
  ): Promise<Answer<T>> => send<T>(this.#settings, method, path, role, options);

  #cp(path: string): string {
    return `/tpf/control-plane/tenants/${enc(this.tenant)}${path}`;
  }

  async #get<T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal): Promise<T> {
    return (await this.request<T>('GET', this.#cp(path), 'operator', { query, idempotent: true, signal }))
      .body;
  }

  /** The same client, typed by a pipeline definition (`definePipeline(...)`) or a `PipelineRef`. */
  pipeline<P extends PipelineRef>(definition: P): TypedPipelineClient<PipelineInput<P>, PipelineOutput<P>>;
  /** The same client for a pipeline by id, typed by the given input and output types. */
  pipeline<Input = unknown, Output = unknown>(pipelineId: string): TypedPipelineClient<Input, Output>;
  pipeline(p: PipelineRef | string): TypedPipelineClient<unknown, unknown> {
    return new TypedPipelineClient(this, typeof p === 'string' ? p : p.id);
  }

  /** Starts an execution of the pipeline's active release. */
  async submit(pipelineId: string, input: unknown, options: SubmitOptions = {}): Promise<Submitted> {
    const json = { pipelineId, input, idempotencyKey: options.idempotencyKey };
    // Safe to retry even if the first try arrived: the key (or, without one, the input) dedupes it.
    const answer = await this.request<Submitted>('POST', this.#cp('/executions'), 'operator', {
      json,
      idempotent: true,
      signal: options.signal,
    });
    return answer.body;
  }

  /** An execution's status now. */
  get(executionId: string): Promise<ExecutionStatus> {
    return this.#get(`/executions/${enc(executionId)}`);
  }

  /**
   * An execution's result, waiting for it (see {@link ResultOptions}: by default until it is
   * terminal or parked at an await step; `until: 'terminal'` waits through parks).
   */
  result<Output = unknown>(
    executionId: string,
    options: ResultOptions = {},
  ): Promise<ExecutionResult<Output>> {
    const path = `/executions/${enc(executionId)}/result`;
    return waitForResult<Output>(
      (waitMs, until) =>
        this.request<ExecutionResult<Output>>('GET', this.#cp(path), 'operator', {
          query: { waitMs, until: until === 'terminal' ? 'terminal' : undefined },
          idempotent: true,
          signal: options.signal,
        }),
      options,
    );
  }

  /** One page of executions, newest first. */
  listPage(filter: ListFilter = {}): Promise<ExecutionPage> {
    const status = filter.status === undefined ? undefined : [filter.status].flat().join(',');
    return this.#get('/executions', {
      status,
      pipelineId: filter.pipelineId,
      releaseVersion: filter.releaseVersion,
      errorCode: filter.errorCode,
      parentExecutionId: filter.parentExecutionId,
      scheduleId: filter.scheduleId,
      createdFrom: epochMs(filter.createdFrom),
      createdTo: epochMs(filter.createdTo),
      limit: filter.limit,
      cursor: filter.cursor,
    });
  }

  /** Every matching execution, a page at a time: `for await (const x of client.list({ status: 'DLQ' }))`. */
  list(filter: ListFilter = {}): ExecutionList {
    return new ExecutionList((f) => this.listPage(f), filter);
  }

  /** One page of an execution's journal, oldest first. */
  history(executionId: string, page: { afterSeq?: number; limit?: number } = {}): Promise<HistoryPage> {
    return this.#get(`/executions/${enc(executionId)}/history`, page);
  }

  /** Cancels an execution that has not finished (again: the same answer). */
  async cancel(executionId: string): Promise<ExecutionStatus> {
    const path = this.#cp(`/executions/${enc(executionId)}/cancel`);
    return (await this.request<ExecutionStatus>('POST', path, 'operator', { idempotent: true })).body;
  }

  /** Open interactions (the await inbox), oldest first. */
  pendingInteractions(filter: PendingFilter = {}): Promise<Interaction[]> {
    return this.#get('/interactions/pending', { ...filter });
  }

  /**
   * The await admission budgets in use (docs/await-admission.md): for each await step with one,
   * its limit, the interactions outstanding (never above it) and those waiting to be admitted.
   */
  awaitAdmission(): Promise<AwaitAdmission> {
    return this.#get('/awaits/admission', {});
  }

  /** Answers an open interaction; its execution resumes. The same answer again is a duplicate. */
  async complete(request: CompleteRequest): Promise<Completion> {
    const path = this.#cp('/interactions/complete');
    return (await this.request<Completion>('POST', path, 'operator', { json: request, idempotent: true }))
      .body;
  }

  /** Sends a DLQ (or, with `allowFailed`, FAILED) execution back to QUEUED (admin token). */
  async redrive(executionId: string, options: RedriveOptions = {}): Promise<Redriven> {
    const path = `/tpf/admin/tenants/${enc(this.tenant)}/executions/${enc(executionId)}/redrive`;
    // With an expected version a repeat is refused, so it is safe to retry; without one it is not.
    const idempotent = options.expectedVersion !== undefined;
    return (await this.request<Redriven>('POST', path, 'admin', { json: options, idempotent })).body;
  }

  /**
   * Asks a coordinator on SQLite for an online copy of its database (admin token); resolves with
   * the copy's path on the coordinator's host, in its `<data-dir>/backups/`.
   */
  async backupOnline(): Promise<{ file: string }> {
    return (await this.request<{ file: string }>('POST', '/tpf/admin/backup', 'admin', { idempotent: false }))
      .body;
  }

  /** The pipelines with a registered release: active release, whether it is hosted, live counts. */
  pipelines(): Promise<PipelineSummary[]> {
    return this.#get('/pipelines');
  }

  /** This node, its build and protocols, and the maintenance leader (any role's token). */
  async cluster(): Promise<ClusterInfo> {
    return (await this.request<ClusterInfo>('GET', '/api/cluster/info', 'operator', { idempotent: true }))
      .body;
  }

  /** Every coordinator node in the registry: state, readiness, the maintenance leader (any role's token). */
  async clusterNodes(): Promise<ClusterNodes> {
    return (await this.request<ClusterNodes>('GET', '/api/cluster/nodes', 'operator', { idempotent: true }))
      .body;
  }

  /** The role of the token this client sends (operator, admin or worker). */
  async whoami(): Promise<{ role: string }> {
    return (await this.request<{ role: string }>('GET', '/api/whoami', 'operator', { idempotent: true }))
      .body;
  }

  /** Liveness (no token). */
  async health(): Promise<{ status: string }> {
    return (await this.request<{ status: string }>('GET', '/api/health', 'none', { idempotent: true })).body;
  }

  /** Readiness (no token): `status` DOWN, with the failing checks, when it is not ready. */
  async ready(): Promise<Readiness> {
    const answer = await this.request<Readiness>('GET', '/api/ready', 'none', {
      idempotent: true,
      acceptStatuses: [503],
    });
    return answer.body;
  }
}

/** A client of the coordinator at `url`: see {@link ClientOptions}. */
export function createClient(options: ClientOptions): CapstanClient {
  return new CapstanClient(options);
}
