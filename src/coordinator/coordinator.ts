import type {
  ExecutionRecord,
  InteractionRecord,
  JournalEvent,
  ReleaseActivation,
  ReleaseRecord,
} from '../store/records.ts';
import type {
  ExecutionListFilter,
  LeaderFence,
  Leadership,
  AwaitAdmissionRecord,
  PendingFilter,
  Store,
} from '../store/store-port.ts';
import type { PipelineContract } from '../releases/pipeline-contract.ts';
import { CapstanError } from '../errors/catalog.ts';
import type { PipelineSummaryRecord } from '../store/pipeline-summaries.ts';
import { isSettled, isTerminal, type ExecutionStatus } from '../domain/execution-status.ts';
import { DLQ_TOPIC } from '../dlq/dead-letter.ts';
import { logDlqSink, type PublicationSink } from '../dlq/outbox-relay.ts';
import { OutboxRelayer } from './outbox-relayer.ts';
import { ReleaseCatalog, schemaIssues } from '../releases/release-catalog.ts';
import { fingerprint, sha256Hex } from '../util/canonical-json.ts';
import type { WorkerTargetProber } from './workers/worker-target-prober.ts';
import type { WorkerAvailability } from './workers/worker-availability.ts';
import { remoteWorkers, type RemoteProtocols } from './workers/remote-workers.ts';
import { WorkerLifecycle } from './workers/worker-lifecycle.ts';
import type { WorkerRegistry } from './workers/worker-registry.ts';
import { Dispatcher } from './dispatcher.ts';
import { SegmentCommitter } from './segment-committer.ts';
import { PullSegments } from './pull-segments.ts';
import { PullWakeups } from './pull-wakeups.ts';
import type { CoordinatorDeps } from './coordinator-deps.ts';
import type { EngineConfig } from './engine-config.ts';
import { ClockSkewMonitor } from './clock-skew.ts';
import { ExecutionWatch } from './execution-watch.ts';
import { LeaderElection, MAINTENANCE_ROLE } from './leader-election.ts';
import { LifecycleLog } from './lifecycle-log.ts';
import { NOTHING_DONE, runMaintenance, type MaintenanceReport } from './maintenance.ts';
import { PassTimer } from './pass-timer.ts';
import { NodePresence, nodeHeartbeatIntervalMs, type NodeList } from './node-presence.ts';
import { buildInfo } from '../build/build-info.ts';
import { StepRetryPolicies } from './step-retry-policies.ts';
import { AwaitAdmissions } from './await-admissions.ts';
import { NO_ADMISSION_BUDGETS } from '../domain/await-admission-budget.ts';
import { INTERACTION_API } from '../awaits/await-publication.ts';
import { FailureFingerprints } from './failure-fingerprints.ts';
import { redriveRefused, redriveRelease } from './redrive-release.ts';
import type { RedriveTarget } from '../domain/redrive-target.ts';
import { PinnedSteps } from './pinned-steps.ts';
import { prepareSchema } from '../store/prepare-schema.ts';
import { EndpointAllowList } from './workers/endpoint-allow-list.ts';
import { WorkerRegistrationPolicy } from './workers/worker-registration-policy.ts';
import { CoordinatorMetrics } from '../metrics/coordinator-metrics.ts';
import { NO_TRACING } from '../tracing/tracing.ts';
import { recordAwait, traceSubmit } from './engine-spans.ts';
import { Schedules } from './schedules.ts';
import { fireDueSchedules } from './schedule-firing.ts';
import { handleStoreSignal } from './store-signal-handler.ts';

export interface SubmitRequest {
  readonly pipelineId: string;
  readonly input: unknown;
  readonly idempotencyKey?: string | undefined;
  /** The caller's W3C `traceparent`: the submit span becomes a child of the caller's span. */
  readonly traceparent?: string | undefined;
}

export interface CompleteRequest {
  readonly interactionId?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly response: unknown;
  readonly idempotencyKey?: string | undefined;
  readonly actor?: string | undefined;
}

/**
 * The coordinator: the control plane of one process. It owns submit, the await inbox,
 * re-drive and cancel; a dispatcher moves due work through workers, and a maintenance loop
 * reclaims leases, times out deadlines, purges by TTL and relays the outbox. Everything it
 * knows lives in the store; what it holds in memory (caches, timers, waiters) is rebuilt at start.
 */
export class Coordinator {
  readonly store: Store;
  readonly catalog: ReleaseCatalog;
  readonly workers: WorkerRegistry;
  readonly lifecycle: WorkerLifecycle;
  readonly workerRegistration: WorkerRegistrationPolicy;
  /** This coordinator's Prometheus metrics, in a registry of its own (`GET /metrics`). */
  readonly metrics: CoordinatorMetrics;
  /** The pull worker API's side in the engine: polls, completions and lease heartbeats. */
  readonly pull: PullSegments;
  /** The remote worker protocols it dispatches over (configured with their keys). */
  readonly remoteProtocols: RemoteProtocols;
  /** Cron and interval schedules of pipelines (docs/schedules.md); the maintenance leader fires them. */
  readonly schedules: Schedules;
  readonly #d: CoordinatorDeps;
  readonly #watch: ExecutionWatch;
  readonly #lifecycle: LifecycleLog;
  readonly #dispatcher: Dispatcher;
  readonly #committer: SegmentCommitter;
  readonly #pullWakeups: PullWakeups;
  readonly #retryPolicies: StepRetryPolicies;
  readonly #fingerprints: FailureFingerprints;
  readonly #availability: WorkerAvailability;
  readonly #prober: WorkerTargetProber | undefined;
  #probing: Promise<void> | undefined;
  readonly #election: LeaderElection;
  readonly #presence: NodePresence;
  readonly #clockSkew: ClockSkewMonitor;
  #unsubscribe: (() => void) | undefined;
  readonly #sinks: ReadonlyMap<string, PublicationSink>;
  readonly #passTimer: PassTimer;
  #maintenance: Promise<unknown> = Promise.resolve();
  #started = false;
  #stopped = false;
  #lastMaintenanceOkAtMs: number | undefined;
  readonly #relayer: OutboxRelayer;

  constructor(deps: CoordinatorDeps) {
    this.#d = deps;
    this.#passTimer = new PassTimer(deps.clock, deps.timers, () => this.wake());
    this.store = deps.store;
    this.workers = deps.workers;
    this.metrics = new CoordinatorMetrics({
      store: deps.store,
      clock: deps.clock,
      staleAfterMs: deps.config.workerStaleAfterMs,
    });
    this.catalog = new ReleaseCatalog(deps.store, {
      clock: deps.clock,
      ttlMs: deps.config.activeReleaseTtlMs,
    });
    this.lifecycle = new WorkerLifecycle({
      store: deps.store,
      clock: deps.clock,
      staleAfterMs: deps.config.workerStaleAfterMs,
    });
    this.workerRegistration =
      deps.workerRegistration ??
      new WorkerRegistrationPolicy({
        keyRings: [],
        allowList: new EndpointAllowList([]),
        clock: deps.clock,
        toleranceMs: 0,
      });
    const remote = remoteWorkers(deps, {
      metrics: this.metrics,
      lifecycle: this.lifecycle,
      catalog: this.catalog,
      allowsEndpoint: (endpoint) => this.workerRegistration.allowsEndpoint(endpoint),
    });
    this.#availability = remote.availability;
    this.#prober = remote.prober;
    this.remoteProtocols = remote.protocols;
    this.#watch = new ExecutionWatch(deps.timers);
    // Releases are immutable and the catalog keeps them: naming a step costs a read once per release.
    this.#lifecycle = new LifecycleLog(
      deps.logger,
      async (x, stepIndex) => {
        const release = await this.catalog.release(x.tenantId, x.pipelineId, x.releaseVersion);
        return release?.contract.steps[stepIndex]?.stepId;
      },
      (failure) => this.metrics.engine.failure(failure),
    );
    this.#sinks = deps.sinks ?? new Map([[DLQ_TOPIC, logDlqSink(deps.logger)]]);
    this.#retryPolicies = new StepRetryPolicies(this.catalog, deps.config);
    this.#fingerprints = new FailureFingerprints(this.catalog);
    const pinnedSteps = new PinnedSteps(this.catalog);
    this.#committer = new SegmentCommitter({
      ...deps,
      retryPolicies: this.#retryPolicies,
      fingerprints: this.#fingerprints,
      admissions: new AwaitAdmissions(this.catalog, deps.config.awaitAdmission ?? NO_ADMISSION_BUDGETS),
      pinnedSteps,
      lifecycle: this.#lifecycle,
      onPublication: () => void this.#relayer.relay(),
      onDueAt: (atMs) => this.#passTimer.noLaterThan(atMs),
      onWorkerUnreachable: (worker, at, reason) =>
        this.workers.holdDown(
          worker.workerId,
          at.tenantId,
          at.pipelineId,
          this.lifecycle.markUnavailable(at.tenantId, at.pipelineId, worker.workerId, reason),
        ),
    });
    this.#pullWakeups = new PullWakeups(deps.timers);
    this.metrics.pull.observeWaiting(() => this.#pullWakeups.waiting);
    this.pull = new PullSegments({
      store: deps.store,
      clock: deps.clock,
      config: deps.config,
      lifecycle: this.lifecycle,
      catalog: this.catalog,
      committer: this.#committer,
      wakeups: this.#pullWakeups,
      onCommitted: (executionId) => this.#watch.changed(executionId),
      onParked: () => this.#dispatcher.wake(),
      onPollAnswered: (answer) => this.metrics.pull.pollAnswered(answer),
    });
    this.#dispatcher = new Dispatcher({
      ...deps,
      watch: this.#watch,
      lifecycle: this.#lifecycle,
      committer: this.#committer,
      pinnedSteps,
      // What it parks may be a pull worker's: a poll waiting here claims it from the parked set.
      onParked: () => this.#pullWakeups.wake('local'),
    });
    this.#clockSkew = new ClockSkewMonitor({
      store: deps.store,
      clock: deps.clock,
      maxSkewMs: deps.config.maxClockSkewMs,
    });
    this.#election = new LeaderElection({
      ...deps,
      nodeId: deps.config.nodeId,
      leaseMs: deps.config.leaderLeaseMs,
      onElected: () => this.wake(),
      mayLead: () => this.#clockSkew.trusted(deps.logger),
    });
    this.#relayer = new OutboxRelayer({
      store: this.store,
      sinks: this.#sinks,
      clock: deps.clock,
      limit: deps.config.sweepLimit,
      ...(deps.relayPolicy ? { policy: deps.relayPolicy } : {}),
      logger: deps.logger,
      isLeader: () => this.#election.isLeader,
    });
    this.schedules = new Schedules({
      store: deps.store,
      clock: deps.clock,
      random: deps.random,
      catalog: this.catalog,
      onNextSlot: (atMs) => this.#passTimer.noLaterThan(atMs),
    });
    this.#presence = new NodePresence({
      ...deps,
      nodeId: deps.config.nodeId,
      holder: this.#election.holder,
      version: buildInfo().version,
      intervalMs: nodeHeartbeatIntervalMs(deps.config),
    });
  }

  get config(): EngineConfig {
    return this.#d.config;
  }

  /**
   * Migrates, takes back what a previous process left running, and starts the background
   * loops. It does not wait for recovered work to finish: segments run in the background.
   * With `migrate: false` it applies no migration and refuses to start while any is pending.
   * A schema a newer Capstan migrated is refused (`SchemaTooNewError`) unless what this code
   * does not know is additive (the compatibility window, docs/upgrade-and-drain.md).
   */
  async start(options: { migrate?: boolean } = {}): Promise<void> {
    const ahead = await prepareSchema(this.store, options.migrate !== false);
    if (ahead.length > 0)
      this.#d.logger.info(
        { migrations: ahead.map((m) => m.name) },
        'the schema is ahead of this node by additive migrations only: it runs within the compatibility window',
      );
    // A clock too far off the database's would misjudge every lease and due time: refuse.
    await this.#clockSkew.assertWithinBound();
    // Before the first dispatch: a reply must find its node listening.
    await this.#d.queueWorkers?.transport.start();
    this.#started = true;
    this.#unsubscribe = this.store.signals?.subscribe((signal) =>
      handleStoreSignal(signal, {
        dispatcher: this.#dispatcher,
        pullWakeups: this.#pullWakeups,
        watch: this.#watch,
        catalog: this.catalog,
        logger: this.#d.logger,
        syncWorkerAvailability: (only) => this.syncWorkerAvailability(only),
        wakeAll: () => this.wake(),
      }),
    );
    // A store this process owns alone: every lease in it belongs to a process that is gone.
    await this.#pass(this.store.exclusive ? Number.MAX_SAFE_INTEGER : undefined, false);
    this.#election.start();
  }

  /** This node's maintenance role, and the current leader (none while the lease has run out). */
  async leadership(): Promise<{ isLeader: boolean; holder: string; leader: Leadership | undefined }> {
    const recorded = await this.store.getLeadership(MAINTENANCE_ROLE);
    return {
      isLeader: this.#election.isLeader,
      holder: this.#election.holder,
      leader: recorded && recorded.expiresAtMs > this.#d.clock.now() ? recorded : undefined,
    };
  }

  /** Where this node's API listens, for the node registry (known only once it listens). */
  announceAddress(address: string): void {
    this.#presence.setAddress(address);
  }

  /** Every node in the registry, judged by this node's clock, the maintenance leader marked. */
  async clusterNodes(): Promise<NodeList> {
    return this.#presence.list((await this.leadership()).leader?.holder);
  }

  /** Looks for due work now (after workers or releases changed), without waiting for it. */
  wake(): void {
    void this.#pass(undefined, false).catch((error: unknown) => {
      // An unreachable database is an expected outage, not a fault: one line, no stack.
      if (error instanceof CapstanError && error.code === 'store_unavailable')
        this.#d.logger.warn({ cause: String(error.cause) }, 'store unavailable; maintenance retries shortly');
      else this.#d.logger.error({ err: error }, 'maintenance pass failed');
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#passTimer.stop();
    await this.#maintenance.catch(() => undefined);
    this.#prober?.stop();
    await this.#probing;
    await this.#dispatcher.stop();
    // The REST client keeps connections to workers between calls: the coordinator it serves closes them.
    this.#d.restWorkers?.client.close();
    // After the dispatcher: no segment is left waiting for a reply.
    await this.#d.queueWorkers?.transport.stop();
    await this.#presence.stop();
    await this.#election.stop();
    this.#watch.releaseAll();
    this.#pullWakeups.stopAll();
    this.metrics.close();
  }

  /**
   * One maintenance pass, then dispatch of everything due, waiting until the segments it
   * started have committed. Tests drive the engine with this and an injected clock.
   */
  tick(leaseAsOfMs?: number): Promise<MaintenanceReport> {
    return this.#pass(leaseAsOfMs, true);
  }

  /** A maintenance pass; the background loop does not wait for segments to finish. */
  #pass(leaseAsOfMs: number | undefined, drain: boolean): Promise<MaintenanceReport> {
    const pass = this.#maintenance.then(async () => {
      const startedAt = performance.now();
      // Followers skip maintenance: the leader alone reclaims, times out, purges and relays.
      const leader = await this.#election.refresh();
      const report = leader
        ? await runMaintenance(
            {
              store: this.store,
              clock: this.#d.clock,
              random: this.#d.random,
              config: this.#d.config,
              dispatcher: this.#dispatcher,
              watch: this.#watch,
              lifecycle: this.#lifecycle,
              logger: this.#d.logger,
              retryPolicies: this.#retryPolicies,
              fireSchedules: (fence) => this.#fireSchedules(fence),
              fingerprints: this.#fingerprints,
            },
            leader,
            leaseAsOfMs,
          )
        : NOTHING_DONE;
      await this.#availability.heartbeatLocalWorkers();
      this.#probeTargets();
      await this.syncWorkerAvailability();
      await this.#dispatcher.pump();
      // The safety net of waiting pull polls: work that fell due with no signal (a back-off ended).
      this.#pullWakeups.wake('pass');
      this.#lastMaintenanceOkAtMs = this.#d.clock.now();
      // The pass is the node's heartbeat: a node whose loop stalls turns stale in the registry.
      await this.#presence.beat(this.#clockSkew.healthy);
      if (drain) await this.#dispatcher.drain();
      if (leader) await this.#relayer.relay();
      await this.#scheduleWake();
      this.metrics.engine.maintenancePass(
        leader ? 'leader' : 'follower',
        (performance.now() - startedAt) / 1000,
        report,
        this.#d.clock.now(),
      );
      return report;
    });
    // A pass that failed (the store unreachable) must not end the loop: try again shortly.
    this.#maintenance = pass.catch(() => {
      this.metrics.engine.maintenanceFailed();
      this.#retryWakeSoon();
    });
    return pass;
  }

  /** The leader's schedule work of one pass: the due slots fired, each execution logged and woken. */
  #fireSchedules(leader: LeaderFence): Promise<number> {
    return fireDueSchedules(
      {
        store: this.store,
        clock: this.#d.clock,
        random: this.#d.random,
        catalog: this.catalog,
        misfireGraceMs: this.#d.config.scheduleMisfireGraceMs,
        limit: this.#d.config.sweepLimit,
        onOutcome: (s, outcome) => this.metrics.engine.scheduleFire(s.tenantId, s.pipelineId, outcome),
        onSubmitted: (execution) => this.#lifecycle.submitted(execution),
      },
      leader,
    );
  }

  #retryWakeSoon(): void {
    if (this.#stopped) return;
    this.#passTimer.at(this.#d.clock.now() + Math.min(2000, this.#d.config.sweepIntervalMs));
  }

  /** This node made work due now: its dispatcher and the pull polls waiting here look for it. */
  #wakeWork(): void {
    this.#dispatcher.wake();
    this.#pullWakeups.wake('local');
  }

  /** Another node changed the store: re-read what the signal names. */
  /** The clock check of readiness: DOWN while the last measured skew was beyond the bound. */
  clockCheck(): { status: 'UP' | 'DOWN'; skewMs: number | null; maxSkewMs: number } {
    return this.#clockSkew.check();
  }

  /** True while the maintenance loop has run within a few sweep intervals. */
  maintenanceHealthy(): boolean {
    if (!this.#started || this.#stopped || this.#lastMaintenanceOkAtMs === undefined) return false;
    return this.#d.clock.now() - this.#lastMaintenanceOkAtMs <= 3 * this.#d.config.sweepIntervalMs + 5_000;
  }

  submit(
    tenantId: string,
    request: SubmitRequest,
  ): Promise<{ execution: ExecutionRecord; duplicate: boolean }> {
    const at = { tenantId, pipelineId: request.pipelineId, traceparent: request.traceparent };
    return traceSubmit(this.#d.tracing ?? NO_TRACING, at, (traceparent) =>
      this.#submit(tenantId, request, traceparent),
    );
  }

  async #submit(
    tenantId: string,
    request: SubmitRequest,
    traceparent: string | undefined,
  ): Promise<{ execution: ExecutionRecord; duplicate: boolean }> {
    const release = await this.catalog.active(tenantId, request.pipelineId);
    if (!release) {
      // A pipeline is known once any release of it is registered: then it only lacks an activation.
      if ((await this.store.listReleases(tenantId, request.pipelineId)).length === 0)
        throw new CapstanError(
          'pipeline_not_found',
          `No release of pipeline '${request.pipelineId}' is registered.`,
          {
            pipelineId: request.pipelineId,
          },
        );
      throw new CapstanError(
        'no_active_release',
        `No active release is registered for pipeline '${request.pipelineId}'.`,
      );
    }
    if (
      !this.workers.has({ tenantId, pipelineId: request.pipelineId, releaseVersion: release.releaseVersion })
    ) {
      throw new CapstanError(
        'no_healthy_worker',
        `No healthy worker hosts release ${release.releaseVersion} of '${request.pipelineId}'.`,
      );
    }
    const validators = this.catalog.validators(release.contract);
    if (!validators.input(request.input)) {
      throw new CapstanError('invalid_input', undefined, { issues: schemaIssues(validators.input) });
    }
    const inputFingerprint = fingerprint(request.input);
    const policy = this.#d.config.idempotencyPolicy;
    const clientKey = policy === 'SERVER_KEY_ONLY' ? undefined : request.idempotencyKey;
    if (policy === 'CLIENT_KEY_REQUIRED' && !clientKey) throw new CapstanError('idempotency_key_required');
    const executionKey = clientKey ?? `auto:${sha256Hex(inputFingerprint)}`;
    const outcome = await this.store.submit({
      tenantId,
      executionId: this.#d.random.uuid(),
      pipelineId: request.pipelineId,
      contractVersion: release.contractVersion,
      releaseVersion: release.releaseVersion,
      executionKey,
      inputFingerprint,
      input: request.input,
      nowMs: this.#d.clock.now(),
      ...(traceparent === undefined ? {} : { traceparent }),
    });
    if (outcome.kind === 'conflict') {
      throw new CapstanError('idempotency_conflict', undefined, {
        executionId: outcome.execution.executionId,
      });
    }
    if (outcome.kind === 'created') {
      this.#lifecycle.submitted(outcome.execution);
      this.#wakeWork();
    }
    return { execution: outcome.execution, duplicate: outcome.kind === 'duplicate' };
  }

  async status(tenantId: string, executionId: string): Promise<ExecutionRecord> {
    const execution = await this.store.getExecution(tenantId, executionId);
    if (!execution) throw new CapstanError('execution_not_found');
    return execution;
  }

  /**
   * The stack of the failure the execution's state records (a retry scheduled, the DLQ,
   * FAILED). It is kept in that failure's journal event, the latest one, not on the row.
   */
  async failureStack(execution: ExecutionRecord): Promise<string | undefined> {
    if (!execution.errorCode || !['WAIT_RETRY', 'DLQ', 'FAILED'].includes(execution.status)) return undefined;
    const [latest] = await this.store.readJournal(execution.executionId, execution.version - 1, 1);
    const stack = latest?.data.errorStack;
    return typeof stack === 'string' ? stack : undefined;
  }

  /** Whether a worker can run the execution's pinned release, drained ones too (else it waits for one). */
  hasWorkerFor(execution: ExecutionRecord): boolean {
    return this.workers.canRun(execution);
  }

  /** One page of a tenant's executions that match the filter, in the store's list order. */
  listExecutions(tenantId: string, filter: ExecutionListFilter): Promise<ExecutionRecord[]> {
    return this.store.listExecutions(tenantId, filter);
  }

  /** The contract of the release the execution is pinned to; undefined when it is not registered. */
  async contractOf(execution: ExecutionRecord): Promise<PipelineContract | undefined> {
    const { tenantId, pipelineId, releaseVersion } = execution;
    return (await this.catalog.validatorsFor(tenantId, pipelineId, releaseVersion))?.contract;
  }

  /** The releases of a pipeline, and the activations that made one of them active. */
  async releasesOf(
    tenantId: string,
    pipelineId: string,
  ): Promise<{
    releases: () => Promise<ReleaseRecord[]>;
    activations: ReleaseActivation[];
    active: ReleaseRecord | undefined;
  }> {
    const [activations, active] = await Promise.all([
      this.store.listActivations(tenantId, pipelineId),
      this.store.getActiveRelease(tenantId, pipelineId),
    ]);
    return { releases: () => this.store.listReleases(tenantId, pipelineId), activations, active };
  }

  /** The tenant's registered pipelines: active release, live counts, and whether a worker hosts it. */
  async pipelines(tenantId: string): Promise<(PipelineSummaryRecord & { hosted: boolean })[]> {
    const summaries = await this.store.listPipelines(tenantId);
    return summaries.map((p) => ({
      ...p,
      hosted:
        p.activeReleaseVersion !== null &&
        this.workers.has({ tenantId, pipelineId: p.pipelineId, releaseVersion: p.activeReleaseVersion }),
    }));
  }

  /** One release of a pipeline, by version. */
  release(tenantId: string, pipelineId: string, releaseVersion: string): Promise<ReleaseRecord | undefined> {
    return this.store.getRelease(tenantId, pipelineId, releaseVersion);
  }

  /** Resolves when the store answers now (readiness); rejects with what it failed with. */
  checkStore(): Promise<void> {
    return this.store.ping();
  }

  /**
   * The execution once it settles, or as it is when `waitMs` has passed or `signal` aborts (the
   * caller hung up: its waiter is released at once rather than held to the deadline).
   */
  async awaitSettled(
    tenantId: string,
    executionId: string,
    waitMs: number,
    signal?: AbortSignal,
    until: 'settled' | 'terminal' = 'settled',
  ): Promise<ExecutionRecord> {
    const done = until === 'terminal' ? isTerminal : isSettled;
    const deadline = this.#d.clock.now() + waitMs;
    for (;;) {
      const remaining = deadline - this.#d.clock.now();
      // Another node may move it: its signal wakes this wait, and a bounded re-read covers a lost one.
      const listening = this.#watch.listen(
        executionId,
        this.store.exclusive ? remaining : Math.min(remaining, 1000),
      );
      const execution = await this.status(tenantId, executionId).catch((error: unknown) => {
        listening.stop();
        throw error;
      });
      if (done(execution.status) || remaining <= 0 || this.#stopped || signal?.aborted) {
        listening.stop();
        return execution;
      }
      signal?.addEventListener('abort', listening.stop, { once: true });
      await listening.changed;
      signal?.removeEventListener('abort', listening.stop);
    }
  }

  async history(
    tenantId: string,
    executionId: string,
    afterSeq: number,
    limit: number,
  ): Promise<JournalEvent[]> {
    await this.status(tenantId, executionId);
    return this.store.readJournal(executionId, afterSeq, limit);
  }

  pendingInteractions(tenantId: string, filter: PendingFilter): Promise<InteractionRecord[]> {
    return this.store.listPendingInteractions(tenantId, filter);
  }

  /** The tenant's await admission budgets in use: each step's limit, outstanding and waiting. */
  awaitAdmission(tenantId: string): Promise<AwaitAdmissionRecord[]> {
    return this.store.listAwaitAdmission(tenantId);
  }

  async completeInteraction(
    tenantId: string,
    request: CompleteRequest,
  ): Promise<{ interaction: InteractionRecord; duplicate: boolean }> {
    const ref = request.interactionId
      ? { interactionId: request.interactionId }
      : request.correlationId
        ? { correlationId: request.correlationId }
        : undefined;
    if (!ref) throw new CapstanError('invalid_request', 'One of interactionId or correlationId is required.');
    const interaction = await this.store.findInteraction(tenantId, ref);
    if (!interaction) throw new CapstanError('interaction_not_found');
    const execution = await this.status(tenantId, interaction.executionId);
    const validators = await this.catalog.validatorsFor(
      tenantId,
      execution.pipelineId,
      execution.releaseVersion,
    );
    const validate = validators?.responses.get(interaction.stepIndex);
    if (validate && !validate(request.response)) {
      throw new CapstanError('invalid_response', undefined, { issues: schemaIssues(validate) });
    }
    const responseFingerprint = fingerprint(request.response);
    const outcome = await this.store.completeInteraction({
      tenantId,
      interactionId: interaction.interactionId,
      response: request.response,
      responseFingerprint,
      completionKey: request.idempotencyKey ?? responseFingerprint,
      actor: request.actor ?? null,
      nowMs: this.#d.clock.now(),
    });
    switch (outcome.kind) {
      case 'completed':
        this.#lifecycle.interactionCompleted(execution, { ...interaction, actor: request.actor ?? null });
        recordAwait(this.#d.tracing, execution, outcome.interaction);
        this.#watch.changed(interaction.executionId);
        this.#wakeWork();
        // Under an admission budget the completion may have admitted a waiting request: relay it now.
        if (interaction.transportType !== INTERACTION_API) void this.#relayer.relay();
        return { interaction: outcome.interaction, duplicate: false };
      case 'duplicate':
        return { interaction: outcome.interaction, duplicate: true };
      case 'conflict':
        throw new CapstanError('interaction_conflict');
      case 'closed':
        throw new CapstanError('interaction_closed', `The interaction is ${outcome.interaction.status}.`);
      case 'deadline_passed':
        throw new CapstanError('interaction_deadline_passed');
      case 'not_admitted':
        throw new CapstanError('interaction_not_admitted');
      case 'not_found':
        throw new CapstanError('interaction_not_found');
    }
  }

  async redrive(
    tenantId: string,
    executionId: string,
    request: {
      expectedVersion?: number | undefined;
      allowFailed?: boolean | undefined;
      reason?: string | undefined;
      /** Where to (docs/dlq.md#re-drive-targets); default `pinned`. */
      targetRelease?: RedriveTarget | undefined;
    },
  ): Promise<{ previousStatus: ExecutionStatus; fromRelease: string; execution: ExecutionRecord }> {
    const reason = (request.reason ?? 'operator').trim().slice(0, 200) || 'operator';
    const target = request.targetRelease ?? 'pinned';
    const current = await this.store.getExecution(tenantId, executionId);
    if (!current) throw new CapstanError('execution_not_found');
    const toRelease = await redriveRelease(this, current, target);
    const outcome = await this.store.redrive({
      tenantId,
      executionId,
      expectedVersion: request.expectedVersion,
      allowFailed: request.allowFailed ?? false,
      reason,
      target,
      toRelease,
      nowMs: this.#d.clock.now(),
    });
    switch (outcome.kind) {
      case 'redriven':
        await this.#lifecycle.redriven(
          outcome.execution,
          outcome.previousStatus,
          reason,
          current.releaseVersion,
        );
        this.#watch.changed(executionId);
        this.#wakeWork();
        return {
          previousStatus: outcome.previousStatus,
          fromRelease: current.releaseVersion,
          execution: outcome.execution,
        };
      default:
        throw redriveRefused(outcome, request.expectedVersion, toRelease);
    }
  }

  async cancel(tenantId: string, executionId: string, reason = 'operator'): Promise<ExecutionRecord> {
    const nowMs = this.#d.clock.now();
    const outcome = await this.store.cancel({
      tenantId,
      executionId,
      reason,
      nowMs,
      expiresAtMs: nowMs + this.#d.config.executionTtlMs,
    });
    switch (outcome.kind) {
      case 'cancelled':
        this.#dispatcher.abort(executionId);
        this.#watch.changed(executionId);
        // A cancelled await under an admission budget may have admitted a waiting request.
        void this.#relayer.relay();
        await this.#lifecycle.cancelled(outcome.execution, reason);
        return outcome.execution;
      case 'already_cancelled':
        return outcome.execution;
      case 'terminal':
        throw new CapstanError(
          'execution_state_conflict',
          `The execution is already ${outcome.execution.status}.`,
        );
      case 'not_found':
        throw new CapstanError('execution_not_found');
    }
  }

  /**
   * Reads the lifecycle state of every worker this coordinator routes to and lets only the
   * HEALTHY ones take new work. Runs every maintenance pass, and at once after a lifecycle call.
   */
  async syncWorkerAvailability(only?: { tenantId: string; pipelineId: string }): Promise<void> {
    await this.#availability.sync(only);
    this.#dispatcher.wake();
  }

  /**
   * Probes the configured remote workers in the background (a dead one may take the connect
   * timeout to answer, which a maintenance pass should not wait for), then routes by what
   * the probes registered.
   */
  #probeTargets(): void {
    if (!this.#prober || this.#probing || this.#stopped) return;
    this.#probing = this.#prober
      .probe()
      .then((probed) => (probed ? this.syncWorkerAvailability() : undefined))
      .catch((error: unknown) => this.#d.logger.warn({ err: error }, 'worker probe failed'))
      .finally(() => (this.#probing = undefined));
  }

  /** Schedules the next background pass at the earliest due instant, or the sweep interval. */
  async #scheduleWake(): Promise<void> {
    if (this.#stopped) return;
    const { clock, config } = this.#d;
    const next = await this.store.nextWakeAtMs();
    const now = clock.now();
    // Something due now that this pass did not take (no worker, or all slots busy) is
    // looked at again shortly; a finishing segment wakes the dispatcher sooner anyway.
    let delay = next === undefined ? config.sweepIntervalMs : next - now;
    if (delay <= 0) delay = Math.min(1000, config.sweepIntervalMs);
    // Passes also carry the local worker's heartbeat, so they come often enough to keep it fresh.
    delay = Math.min(delay, config.sweepIntervalMs, config.workerStaleAfterMs / 3);
    this.#passTimer.at(now + delay);
  }
}
