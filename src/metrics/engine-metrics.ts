import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MaintenanceReport } from '../coordinator/maintenance.ts';

/** Seconds buckets for a store transaction: sub-millisecond SQLite commits up to slow fsyncs. */
const COMMIT_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Commands per group-commit transaction: 1 when idle, hundreds under load (1000 at most). */
const BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000];

/** A failure just recorded, and what was decided about it. */
export interface FailureFact {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly stepId: string | undefined;
  readonly errorCode: string;
  /** `retry`, `dlq` or `failed`. */
  readonly decision: string;
  /** The DLQ (or FAILED) reason; undefined for a retry. */
  readonly reason: string | undefined;
}

/**
 * What this coordinator process did, counted as it happens: maintenance passes and what they
 * reclaimed, failures by fingerprint (error code and step, never an execution), DLQ moves and
 * the store's commits. Counters are per process; Prometheus sums them across nodes.
 */
export class EngineMetrics {
  readonly #maintenancePasses: Counter<'role'>;
  readonly #maintenanceSeconds: Histogram;
  readonly #maintenanceLastRun: Gauge;
  readonly #leaseTakeovers: Counter;
  readonly #awaitTimeouts: Counter;
  readonly #purged: Counter;
  readonly #archived: Counter;
  readonly #archiveFailures: Counter;
  readonly #maintenanceErrors: Counter;
  readonly #failures: Counter<'tenant' | 'pipeline' | 'step' | 'error_code' | 'decision'>;
  readonly #dlq: Counter<'tenant' | 'pipeline' | 'reason'>;
  readonly #scheduleFires: Counter<'tenant' | 'pipeline' | 'outcome'>;
  readonly #commitSeconds: Histogram;
  readonly #commitBatch: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#maintenancePasses = new Counter({
      name: 'capstan_maintenance_passes_total',
      help: 'Maintenance passes run by this node, as leader (reclaims, timeouts, purges) or follower (dispatch only).',
      labelNames: ['role'],
      registers,
    });
    this.#maintenanceSeconds = new Histogram({
      name: 'capstan_maintenance_pass_duration_seconds',
      help: 'How long one maintenance pass took, dispatch of due work included.',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#maintenanceLastRun = new Gauge({
      name: 'capstan_maintenance_last_success_timestamp_seconds',
      help: 'When the last maintenance pass of this node ended without error (Unix seconds).',
      registers,
    });
    this.#maintenanceErrors = new Counter({
      name: 'capstan_maintenance_errors_total',
      help: 'Maintenance passes that ended with an error.',
      registers,
    });
    this.#leaseTakeovers = new Counter({
      name: 'capstan_lease_takeovers_total',
      help: 'Expired segment leases reclaimed by maintenance (the node that held them stopped renewing).',
      registers,
    });
    this.#awaitTimeouts = new Counter({
      name: 'capstan_await_timeouts_total',
      help: 'Await interactions whose deadline passed, timed out by maintenance.',
      registers,
    });
    this.#purged = new Counter({
      name: 'capstan_purged_executions_total',
      help: 'Terminal executions purged past their TTL by maintenance, items included.',
      registers,
    });
    this.#archived = new Counter({
      name: 'capstan_archived_executions_total',
      help: 'History exports retention wrote to the archive directory before purging their executions.',
      registers,
    });
    this.#archiveFailures = new Counter({
      name: 'capstan_retention_archive_failures_total',
      help: 'Expired executions kept because their history archive could not be written.',
      registers,
    });
    this.#failures = new Counter({
      name: 'capstan_step_failures_total',
      help: 'Step failures by fingerprint (pipeline, step, error code) and what was decided: retry, dlq or failed.',
      labelNames: ['tenant', 'pipeline', 'step', 'error_code', 'decision'],
      registers,
    });
    this.#dlq = new Counter({
      name: 'capstan_dlq_publications_total',
      help: 'Executions moved to the DLQ (each with its DLQ publication in the outbox), by reason.',
      labelNames: ['tenant', 'pipeline', 'reason'],
      registers,
    });
    this.#scheduleFires = new Counter({
      name: 'capstan_schedule_fires_total',
      help: "Moves of schedules' next slots by this node as maintenance leader, by outcome: fired, duplicate, skipped, no_active_release, invalid_input, idempotency_conflict, lost.",
      labelNames: ['tenant', 'pipeline', 'outcome'],
      registers,
    });
    this.#commitSeconds = new Histogram({
      name: 'capstan_store_commit_duration_seconds',
      help: 'How long one group-commit transaction of the store took (segment commits and every other command).',
      buckets: COMMIT_SECONDS,
      registers,
    });
    this.#commitBatch = new Histogram({
      name: 'capstan_store_commit_batch_size',
      help: 'Commands that shared one group-commit transaction.',
      buckets: BATCH_SIZES,
      registers,
    });
  }

  /** A pass that ended at `endedAtMs` (the coordinator's clock), taking `seconds`. */
  maintenancePass(
    role: 'leader' | 'follower',
    seconds: number,
    report: MaintenanceReport,
    endedAtMs: number,
  ): void {
    this.#maintenancePasses.inc({ role });
    this.#maintenanceSeconds.observe(seconds);
    this.#maintenanceLastRun.set(endedAtMs / 1000);
    if (report.reclaimedLeases > 0) this.#leaseTakeovers.inc(report.reclaimedLeases);
    if (report.timedOutInteractions > 0) this.#awaitTimeouts.inc(report.timedOutInteractions);
    if (report.purgedExecutions > 0) this.#purged.inc(report.purgedExecutions);
    if (report.archivedExecutions > 0) this.#archived.inc(report.archivedExecutions);
    if (report.archiveFailures > 0) this.#archiveFailures.inc(report.archiveFailures);
  }

  maintenanceFailed(): void {
    this.#maintenanceErrors.inc();
  }

  failure(f: FailureFact): void {
    this.#failures.inc({
      tenant: f.tenantId,
      pipeline: f.pipelineId,
      step: f.stepId ?? 'unknown',
      error_code: f.errorCode,
      decision: f.decision,
    });
    if (f.decision === 'dlq')
      this.#dlq.inc({ tenant: f.tenantId, pipeline: f.pipelineId, reason: f.reason ?? 'unknown' });
  }

  /** A move of a schedule's next slot and how it ended (`ScheduleFireOutcome`). */
  scheduleFire(tenantId: string, pipelineId: string, outcome: string): void {
    this.#scheduleFires.inc({ tenant: tenantId, pipeline: pipelineId, outcome });
  }

  /** The store's commit observer: two observe() calls, nothing allocated per commit. */
  readonly committed = (seconds: number, commands: number): void => {
    this.#commitSeconds.observe(seconds);
    this.#commitBatch.observe(commands);
  };
}
