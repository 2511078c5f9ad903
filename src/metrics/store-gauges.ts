import { Counter, Gauge, type Registry } from 'prom-client';
import type { OperationalCounts } from '../store/operational-counts.ts';

/** Every worker state, so a state with no workers reads 0 rather than vanishing. */
const WORKER_STATES = ['HEALTHY', 'STALE', 'DRAINING', 'UNAVAILABLE'] as const;

/**
 * Gauges read from the store at scrape time: the state every node shares (queue, statuses,
 * awaits, releases, workers). Each node reports the same values; aggregate them with `max`,
 * not `sum`. `snapshot()` supplies the counts of the scrape in progress, read once for all of
 * them by `CoordinatorMetrics.render`.
 */
export function registerStoreGauges(
  registry: Registry,
  snapshot: () => { counts: OperationalCounts; nowMs: number } | undefined,
): void {
  const registers = [registry];
  new Gauge({
    name: 'capstan_executions',
    help: 'Executions by tenant, pipeline and status: the counts GET /tpf/control-plane/tenants/{tenant}/executions?status= lists.',
    labelNames: ['tenant', 'pipeline', 'status'],
    registers,
    collect() {
      this.reset();
      for (const e of snapshot()?.counts.executions ?? [])
        this.set({ tenant: e.tenantId, pipeline: e.pipelineId, status: e.status }, e.count);
    },
  });
  new Gauge({
    name: 'capstan_work_queue_depth',
    help: 'QUEUED and WAIT_RETRY executions due now (waiting for a dispatcher; parked ones without a worker excluded).',
    registers,
    collect() {
      this.set(snapshot()?.counts.due.count ?? 0);
    },
  });
  new Gauge({
    name: 'capstan_work_queue_oldest_due_age_seconds',
    help: 'How long the longest-waiting due execution has been due (0 when none is).',
    registers,
    collect() {
      const s = snapshot();
      const oldest = s?.counts.due.oldestDueAtMs;
      this.set(s && oldest !== undefined ? Math.max(0, (s.nowMs - oldest) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'capstan_pending_awaits',
    help: 'Await interactions still WAITING for a response.',
    registers,
    collect() {
      this.set(snapshot()?.counts.pending.count ?? 0);
    },
  });
  new Gauge({
    name: 'capstan_pending_await_oldest_deadline_seconds',
    help: 'Seconds until the earliest deadline of a pending await (negative once passed and not yet timed out; absent when none is pending).',
    registers,
    collect() {
      this.reset();
      const s = snapshot();
      const oldest = s?.counts.pending.oldestDeadlineAtMs;
      if (s && oldest !== undefined) this.set((oldest - s.nowMs) / 1000);
    },
  });
  new Gauge({
    name: 'capstan_await_outstanding',
    help: 'Await interactions admitted by their step\'s admission budget and not yet ended, by tenant, pipeline and step (never above the budget).',
    labelNames: ['tenant', 'pipeline', 'step'],
    registers,
    collect() {
      this.reset();
      for (const a of snapshot()?.counts.admission ?? [])
        this.set({ tenant: a.tenantId, pipeline: a.pipelineId, step: a.stepId }, a.outstanding);
    },
  });
  new Gauge({
    name: 'capstan_await_admission_waiting',
    help: 'Await interactions ADMISSION_WAITING: held back by their step\'s admission budget, by tenant, pipeline and step.',
    labelNames: ['tenant', 'pipeline', 'step'],
    registers,
    collect() {
      this.reset();
      for (const a of snapshot()?.counts.admission ?? [])
        this.set({ tenant: a.tenantId, pipeline: a.pipelineId, step: a.stepId }, a.waiting);
    },
  });
  new Gauge({
    name: 'capstan_active_release_info',
    help: 'The release active for each tenant and pipeline (value 1).',
    labelNames: ['tenant', 'pipeline', 'release'],
    registers,
    collect() {
      this.reset();
      for (const a of snapshot()?.counts.activeReleases ?? [])
        this.set({ tenant: a.tenantId, pipeline: a.pipelineId, release: a.releaseVersion }, 1);
    },
  });
  // A counter read from the activation history, which only grows: cluster-wide, and kept across restarts.
  new Counter({
    name: 'capstan_release_activations_total',
    help: 'Release activations recorded for each tenant and pipeline (the activation history).',
    labelNames: ['tenant', 'pipeline'],
    registers,
    collect() {
      this.reset();
      for (const a of snapshot()?.counts.activations ?? [])
        this.inc({ tenant: a.tenantId, pipeline: a.pipelineId }, a.count);
    },
  });
  new Gauge({
    name: 'capstan_workers',
    help: 'Worker lifecycle records by state: HEALTHY, STALE (no heartbeat within stale-after), DRAINING, UNAVAILABLE.',
    labelNames: ['state'],
    registers,
    collect() {
      const counts = snapshot()?.counts.workers ?? [];
      for (const state of WORKER_STATES)
        this.set({ state }, counts.find((w) => w.state === state)?.count ?? 0);
    },
  });
}
