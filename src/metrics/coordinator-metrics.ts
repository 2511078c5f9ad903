import { Counter, Registry } from 'prom-client';
import type { Clock } from '../runtime/clock.ts';
import type { Store } from '../store/store-port.ts';
import type { OperationalCounts } from '../store/operational-counts.ts';
import { EngineMetrics } from './engine-metrics.ts';
import { registerStoreGauges } from './store-gauges.ts';
import { WorkerMetrics } from './worker-metrics.ts';
import { PullMetrics } from './pull-metrics.ts';

export interface CoordinatorMetricsDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** A worker without a heartbeat for this long counts as STALE. */
  readonly staleAfterMs: number;
}

/**
 * One coordinator's metrics, in a registry of its own (never prom-client's global one): tests
 * run several coordinators in one process, and each must report only what it saw.
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly engine: EngineMetrics;
  readonly workers: WorkerMetrics;
  readonly pull: PullMetrics;
  readonly #d: CoordinatorMetricsDeps;
  #scrape: { counts: OperationalCounts; nowMs: number } | undefined;
  #unobserve: (() => void) | undefined;

  constructor(deps: CoordinatorMetricsDeps) {
    this.#d = deps;
    this.engine = new EngineMetrics(this.registry);
    this.workers = new WorkerMetrics(this.registry);
    this.pull = new PullMetrics(this.registry);
    registerStoreGauges(this.registry, () => this.#scrape);
    let counted = 0;
    new Counter({
      name: 'capstan_store_statements_total',
      help: 'Statements this node sent to its database (transaction control included): its database load, idle or busy.',
      registers: [this.registry],
      collect() {
        const statements = deps.store.statements;
        this.inc(statements - counted);
        counted = statements;
      },
    });
    this.#unobserve = deps.store.observeCommits(this.engine.committed);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The Prometheus text exposition: the store is read once (grouped counts, a few index scans),
   * then every metric, the store gauges from that one reading.
   */
  async render(): Promise<string> {
    const nowMs = this.#d.clock.now();
    const counts = await this.#d.store.operationalCounts(nowMs, nowMs - this.#d.staleAfterMs);
    // Kept after the scrape: a concurrent one may still be reading it (the newest reading wins).
    this.#scrape = { counts, nowMs };
    return this.registry.metrics();
  }

  /** Stops watching the store's commits (the store may outlive this coordinator). */
  close(): void {
    this.#unobserve?.();
    this.#unobserve = undefined;
  }
}
