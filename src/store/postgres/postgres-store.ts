import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { CapstanError } from '../../errors/catalog.ts';
import type { ExecutionRecord, InteractionRecord } from '../records.ts';
import type { Store } from '../store-port.ts';
import { claimDue, wakeParked } from './claim.ts';
import { PgGroupCommit } from './group-commit.ts';
import { assertSynchronousCommit, connectionConfig } from './durable-connection.ts';
import { listAwaitAdmission } from './admission.ts';
import { completions } from './interaction-commands.ts';
import { acquireLeadership, getLeadership, releaseLeadership } from './leadership.ts';
import * as nodes from './node-registry.ts';
import { listExecutions } from './list-executions.ts';
import * as dlq from './dlq-queries.ts';
import * as oc from '../operational-counts.ts';
import { LIVE_RELEASES_SQL, liveReleaseFromRow, type LiveReleaseRow } from '../live-releases.ts';
import {
  findExpiredLeases,
  findPassedDeadlines,
  reclaimLease,
  timeOutInteraction,
} from './maintenance-commands.ts';
import * as retention from './retention-commands.ts';
import { countingClient } from './counting-client.ts';
import { StatementCounter } from '../statement-counter.ts';
import { checkSchemaName } from '../schema-name.ts';
import { listMigrations, listMigrationsAhead, listPendingMigrations, migrate } from './migrate.ts';
import type { Migration } from '../migrations.ts';
import { cancel, redrive } from './operator-commands.ts';
import * as o from './outbox-commands.ts';
import * as q from './queries.ts';
import { ReadBatch } from './read-batch.ts';
import { rebuildProjections, snapshotProjections } from './rebuild.ts';
import * as r from './release-records.ts';
import * as w from './worker-records.ts';
import * as sch from './schedule-commands.ts';
import { fail } from './segment-commands.ts';
import { segmentCommits } from './segment-commit.ts';
import { assertSegmentShape, lostMidSegment } from '../segment-commit.ts';
import { PgSignals } from './signals.ts';
import { checkpoints, succeeds } from './step-commits.ts';
import { row, rows } from './sql.ts';
import { isUnreachable } from './unavailable.ts';
import { renewLeases } from './renew-leases.ts';
import { submits } from './submit.ts';
import { suspends } from './suspend.ts';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database` */
  readonly connectionString: string;
  /** The schema every table lives in (created by `migrate()` when missing). */
  readonly schema: string;
  /** Pooled connections; group-commit batches and reads share them. Default 10. */
  readonly poolSize?: number;
  /** The clock for bookkeeping the commands do not carry (migration timestamps). */
  readonly nowMs?: () => number;
  /** How long acquiring a connection may take before a command fails `store_unavailable`. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** The migrations this code knows; default this dialect's files (a test plays a newer Capstan with more). */
  readonly migrations?: readonly Migration[];
}

// BIGINT (epoch ms, identity ids) arrives as a string by default; every value the store keeps
// there is below 2^53, so it is parsed to a number for records and snapshots alike.
const INT8_AS_NUMBER: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === (pg.types.builtins.INT8 as number)
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format) as unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * The shared store: PostgreSQL through a `pg` pool, every table in `options.schema`. Several
 * coordinator nodes may share it (`exclusive = false`): commands are guarded UPDATEs, claims
 * lock their candidates `FOR UPDATE SKIP LOCKED`, and writes go through group commit (one
 * transaction per batch; see `PgGroupCommit`). Reads run on the pool and see what has
 * been committed, which includes every command whose promise has resolved.
 */
export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly exclusive = false;
  readonly schema: string;
  readonly #pool: Pool;
  readonly #writer: PgGroupCommit;
  readonly #nowMs: () => number;
  readonly #signals: PgSignals;
  readonly #migrations: readonly Migration[];
  // Point reads by id, coalesced per turn (status reads and long-polls of concurrent requests).
  readonly #executionReads: ReadBatch<string, ExecutionRecord>;
  readonly #interactionReads: ReadBatch<string, InteractionRecord>;
  readonly #statements = new StatementCounter();
  #closed: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.schema = checkSchemaName(options.schema);
    this.#pool = new pg.Pool({
      ...connectionConfig(options.connectionString, this.schema),
      max: options.poolSize ?? 10,
      types: INT8_AS_NUMBER,
      // Every pooled connection counts the statements it sends (`statements`).
      Client: countingClient(this.#statements),
      // Checked once per connection, before its first statement: a connection whose commits
      // a server crash could lose is closed and its caller fails, so no write is acknowledged on it.
      // pg-pool awaits the hook's promise; @types/pg still declares it as returning void.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      onConnect: assertSynchronousCommit,
      // An unreachable database fails a request in seconds (503), never holds it indefinitely.
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    });
    // An idle client that loses its connection must not crash the process; the next query reports it.
    this.#pool.on('error', () => undefined);
    // Nor may a checked-out client between two statements: the statement in flight, or the
    // next one, fails with the cause and reaches its caller as `store_unavailable`.
    this.#pool.on('connect', (client) => client.on('error', () => undefined));
    this.#writer = new PgGroupCommit(this.#pool);
    this.#nowMs = options.nowMs ?? Date.now;
    this.#migrations = options.migrations ?? listMigrations();
    // A batch that failed for want of a database fails everyone; any other failure may be one key's.
    const isolate = (error: unknown) =>
      !(error instanceof CapstanError && error.code === 'store_unavailable');
    this.#executionReads = new ReadBatch((ids) => q.getExecutions(this.#pool, ids), isolate);
    this.#interactionReads = new ReadBatch((ids) => q.getInteractions(this.#pool, ids), isolate);
    this.#signals = new PgSignals({
      pool: this.#pool,
      connectionString: options.connectionString,
      schema: this.schema,
    });
  }

  get signals(): PgSignals {
    return this.#signals;
  }

  /** Transactions committed so far (group commit shares one among many commands). */
  get commits(): number {
    return this.#writer.commits;
  }

  get statements(): number {
    return this.#statements.count;
  }

  /** Group-commit batches re-run in savepoints because a command in them threw. */
  get batchReruns(): number {
    return this.#writer.reruns;
  }

  migrate(): Promise<number[]> {
    return migrate(this.#pool, this.schema, this.#nowMs(), this.#migrations);
  }
  pendingMigrations: Store['pendingMigrations'] = () =>
    listPendingMigrations(this.#pool, this.schema, this.#migrations);
  migrationsAhead: Store['migrationsAhead'] = () =>
    listMigrationsAhead(this.#pool, this.schema, this.#migrations);
  /**
   * Ready to take writes: the database answers and is not read-only. A standby that was not
   * promoted answers reads, so `SELECT 1` alone would keep a node in rotation whose every write fails.
   */
  async ping(): Promise<void> {
    const r = await row<{ read_only: string; in_recovery: boolean }>(
      this.#pool,
      "SELECT current_setting('transaction_read_only') AS read_only, pg_is_in_recovery() AS in_recovery",
    );
    if (r?.read_only === 'on' || r?.in_recovery)
      throw new CapstanError(
        'store_unavailable',
        r.in_recovery
          ? 'The database is a standby in recovery: it takes no writes until it is promoted.'
          : 'The database is read-only (transaction_read_only is on): it takes no writes.',
      );
  }
  isUnreachable(error: unknown): boolean {
    return isUnreachable(error);
  }
  async databaseTimeMs(): Promise<number> {
    // clock_timestamp(), not now(): the instant of the statement, not of its transaction.
    const r = await row<{ now_ms: number }>(
      this.#pool,
      'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms',
    );
    if (!r) throw new Error('the database did not tell its time');
    return r.now_ms;
  }
  async durabilitySettings(): Promise<Record<string, string>> {
    const r = await row<{ synchronous_commit: string }>(this.#pool, 'SHOW synchronous_commit');
    return { synchronous_commit: r?.synchronous_commit ?? 'unknown' };
  }
  /** Commits what is queued, waits for batches in flight, then ends the pool; closing again is a no-op. */
  close(): Promise<void> {
    this.#closed ??= this.#writer
      .close()
      .then(() => this.#signals.close())
      .then(() => this.#pool.end());
    return this.#closed;
  }

  #write<T>(command: (db: PoolClient) => Promise<T>): Promise<T> {
    return this.#writer.run(command);
  }

  /** Tells peers an execution changed once the command committed and won its guard. */
  async #changed(executionId: string, committed: Promise<boolean>): Promise<boolean> {
    const won = await committed;
    if (won) this.#signals.note({ kind: 'changed', executionIds: [executionId] });
    return won;
  }

  #noteDue(executionId: string): void {
    this.#signals.note({ kind: 'due' });
    this.#signals.note({ kind: 'changed', executionIds: [executionId] });
  }

  submit: Store['submit'] = async (c) => {
    const outcome = await this.#writer.runAs(submits, c);
    if (outcome.kind === 'created') this.#signals.note({ kind: 'due' });
    return outcome;
  };
  claimDue: Store['claimDue'] = async (c) => {
    const outcome = await this.#write((db) => claimDue(db, c));
    // What this node parked for want of a worker, a peer with one may take.
    if (outcome.parked > 0) this.#signals.note({ kind: 'due' });
    return outcome;
  };
  wakeParked: Store['wakeParked'] = async (c) => {
    const woken = await this.#write((db) => wakeParked(db, c));
    if (woken > 0) this.#signals.note({ kind: 'due' });
    return woken;
  };
  renewLeases: Store['renewLeases'] = (fences, untilMs) =>
    this.#write((db) => renewLeases(db, fences, untilMs));
  checkpointStep: Store['checkpointStep'] = (c) => this.#writer.runAs(checkpoints, c);
  succeed: Store['succeed'] = (c) => this.#changed(c.executionId, this.#writer.runAs(succeeds, c));
  suspend: Store['suspend'] = (c) => this.#changed(c.executionId, this.#writer.runAs(suspends, c));
  fail: Store['fail'] = (c) =>
    this.#changed(
      c.executionId,
      this.#write((db) => fail(db, c)),
    );
  commitSegment: Store['commitSegment'] = async (c) => {
    assertSegmentShape(c);
    const won = await this.#changed(
      c.executionId,
      this.#writer.runAs(segmentCommits, c).catch(lostMidSegment),
    );
    // An expansion's items are due at once, on any node.
    if (won && c.outcome.kind === 'expand') this.#signals.note({ kind: 'due' });
    return won;
  };
  completeInteraction: Store['completeInteraction'] = async (c) => {
    const outcome = await this.#writer.runAs(completions, c);
    if (outcome.kind === 'completed') this.#noteDue(outcome.interaction.executionId);
    return outcome;
  };
  redrive: Store['redrive'] = async (c) => {
    const outcome = await this.#write((db) => redrive(db, c));
    if (outcome.kind === 'redriven') this.#noteDue(c.executionId);
    return outcome;
  };
  cancel: Store['cancel'] = async (c) => {
    const outcome = await this.#write((db) => cancel(db, c));
    if (outcome.kind === 'cancelled') this.#signals.note({ kind: 'changed', executionIds: [c.executionId] });
    return outcome;
  };

  findExpiredLeases: Store['findExpiredLeases'] = (nowMs, limit) =>
    findExpiredLeases(this.#pool, nowMs, limit);
  reclaimLease: Store['reclaimLease'] = async (c) => {
    const won = await this.#write((db) => reclaimLease(db, c));
    if (won) this.#noteDue(c.executionId);
    return won;
  };
  findPassedDeadlines: Store['findPassedDeadlines'] = (nowMs, limit) =>
    findPassedDeadlines(this.#pool, nowMs, limit);
  timeOutInteraction: Store['timeOutInteraction'] = (c) => this.#write((db) => timeOutInteraction(db, c));
  findExpired: Store['findExpired'] = (nowMs, limit) => retention.findExpired(this.#pool, nowMs, limit);
  listItemIds: Store['listItemIds'] = (parentId, after, limit) =>
    retention.listItemIds(this.#pool, parentId, after, limit);
  purgeExpired: Store['purgeExpired'] = (c) => this.#write((db) => retention.purgeExpired(db, c));
  pruneDeliveredOutbox: Store['pruneDeliveredOutbox'] = (beforeMs, limit) =>
    this.#write((db) => retention.pruneDeliveredOutbox(db, beforeMs, limit));

  acquireLeadership: Store['acquireLeadership'] = (c) => acquireLeadership(this.#pool, c);
  releaseLeadership: Store['releaseLeadership'] = (fence) => releaseLeadership(this.#pool, fence);
  getLeadership: Store['getLeadership'] = (role) => getLeadership(this.#pool, role);

  recordNodeHeartbeat: Store['recordNodeHeartbeat'] = (h) => nodes.recordNodeHeartbeat(this.#pool, h);
  markNodeStopped: Store['markNodeStopped'] = (c) => nodes.markNodeStopped(this.#pool, c);
  listNodes: Store['listNodes'] = () => nodes.listNodes(this.#pool);
  pruneNodes: Store['pruneNodes'] = (beforeMs) => nodes.pruneNodes(this.#pool, beforeMs);

  getExecution: Store['getExecution'] = async (tenantId, id) => {
    const execution = await this.#executionReads.read(id);
    return execution?.tenantId === tenantId ? execution : undefined;
  };
  getStepOutput: Store['getStepOutput'] = (id, stepIndex) => q.getStepOutput(this.#pool, id, stepIndex);
  getStepOutputs: Store['getStepOutputs'] = (id, below) => q.getStepOutputs(this.#pool, id, below);
  findInteraction: Store['findInteraction'] = async (tenantId, ref) => {
    if (!('interactionId' in ref))
      return q.findInteractionByCorrelation(this.#pool, tenantId, ref.correlationId);
    const interaction = await this.#interactionReads.read(ref.interactionId);
    return interaction?.tenantId === tenantId ? interaction : undefined;
  };
  listPendingInteractions: Store['listPendingInteractions'] = (tenantId, filter) =>
    q.listPendingInteractions(this.#pool, tenantId, filter);
  listAwaitAdmission: Store['listAwaitAdmission'] = (tenantId) => listAwaitAdmission(this.#pool, tenantId);
  readJournal: Store['readJournal'] = (id, afterSeq, limit) => q.readJournal(this.#pool, id, afterSeq, limit);
  nextWakeAtMs: Store['nextWakeAtMs'] = () => q.nextWakeAtMs(this.#pool);
  listExecutions: Store['listExecutions'] = (tenantId, filter) =>
    listExecutions(this.#pool, tenantId, filter);
  listDlq: Store['listDlq'] = (tenantId, filter) => dlq.listDlq(this.#pool, tenantId, filter);
  dlqGroups: Store['dlqGroups'] = (tenantId, filter) => dlq.dlqGroups(this.#pool, tenantId, filter);
  listLiveReleases: Store['listLiveReleases'] = async () =>
    (await rows<LiveReleaseRow>(this.#pool, LIVE_RELEASES_SQL, {})).map(liveReleaseFromRow);

  readOutbox: Store['readOutbox'] = (limit) => o.readOutbox(this.#pool, limit);
  listParkedOutbox: Store['listParkedOutbox'] = (limit) => o.listParkedOutbox(this.#pool, limit);
  claimOutbox: Store['claimOutbox'] = (c) => this.#write((db) => o.claimOutbox(db, c));
  markOutboxDelivered: Store['markOutboxDelivered'] = (ids, nowMs) =>
    this.#write((db) => o.markOutboxDelivered(db, ids, nowMs));
  failOutboxDelivery: Store['failOutboxDelivery'] = (c) => this.#write((db) => o.failOutboxDelivery(db, c));

  registerRelease: Store['registerRelease'] = (release) =>
    this.#write((db) => r.registerRelease(db, release));
  activateRelease: Store['activateRelease'] = async (a) => {
    const activated = await this.#write((db) => r.activateRelease(db, a));
    if (activated) this.#signals.note({ kind: 'release', tenantId: a.tenantId, pipelineId: a.pipelineId });
    return activated;
  };
  getRelease: Store['getRelease'] = (t, p, v) => r.getRelease(this.#pool, t, p, v);
  getActiveRelease: Store['getActiveRelease'] = (t, p) => r.getActiveRelease(this.#pool, t, p);
  listReleases: Store['listReleases'] = (t, p) => r.listReleases(this.#pool, t, p);
  listPipelines: Store['listPipelines'] = (t) => r.listPipelines(this.#pool, t);
  listActivations: Store['listActivations'] = (t, p) => r.listActivations(this.#pool, t, p);
  registerWorker: Store['registerWorker'] = async (registration, options) => {
    const worker = await this.#write((db) => w.registerWorker(db, registration, options));
    if (worker) this.#noteWorkers(worker);
    return worker;
  };
  signalWorker: Store['signalWorker'] = async (signal) => {
    const signalled = await this.#write((db) => w.signalWorker(db, signal));
    // Heartbeats keep a worker HEALTHY where it already is (peers notice their absence by
    // time); only transitions, like one that ends an UNAVAILABLE spell, are worth a note.
    if (signalled?.transition) this.#noteWorkers(signalled.worker);
    return signalled?.worker;
  };
  getWorker: Store['getWorker'] = (t, p, id) => w.getWorker(this.#pool, t, p, id);
  listWorkers: Store['listWorkers'] = (t, p) => w.listWorkers(this.#pool, t, p);
  listWorkerEvents: Store['listWorkerEvents'] = (t, p) => w.listWorkerEvents(this.#pool, t, p);
  pruneWorkerEvents: Store['pruneWorkerEvents'] = (beforeMs, limit) =>
    this.#write((db) => w.pruneWorkerEvents(db, beforeMs, limit));
  listWorkerPipelines: Store['listWorkerPipelines'] = () => w.listWorkerPipelines(this.#pool);

  #noteWorkers(worker: { tenantId: string; pipelineId: string }): void {
    this.#signals.note({ kind: 'workers', tenantId: worker.tenantId, pipelineId: worker.pipelineId });
  }

  createSchedule: Store['createSchedule'] = (s) => this.#write((db) => sch.createSchedule(db, s));
  getSchedule: Store['getSchedule'] = (t, id) => sch.getSchedule(this.#pool, t, id);
  listSchedules: Store['listSchedules'] = (t, p) => sch.listSchedules(this.#pool, t, p);
  setSchedulePaused: Store['setSchedulePaused'] = (c) => this.#write((db) => sch.setSchedulePaused(db, c));
  deleteSchedule: Store['deleteSchedule'] = (t, id) => this.#write((db) => sch.deleteSchedule(db, t, id));
  findDueSchedules: Store['findDueSchedules'] = (nowMs, limit) =>
    sch.findDueSchedules(this.#pool, nowMs, limit);
  advanceSchedule: Store['advanceSchedule'] = async (c) => {
    const outcome = await this.#write((db) => sch.advanceSchedule(db, c));
    // A new execution is due at once, on any node.
    if (outcome.kind === 'fired' && !outcome.duplicate) this.#signals.note({ kind: 'due' });
    return outcome;
  };

  rebuildProjections: Store['rebuildProjections'] = () => this.#write((db) => rebuildProjections(db));
  snapshotProjections: Store['snapshotProjections'] = () => snapshotProjections(this.#pool);

  /** Seven aggregates on the pool, side by side: a scrape waits for the slowest, not their sum. */
  operationalCounts: Store['operationalCounts'] = async (nowMs, staleBeforeMs) => {
    const all = (sql: string, params: object = {}) => rows(this.#pool, sql, params);
    const [executions, due, pending, active, activations, workers, admission, itemsOpen] = await Promise.all([
      all(oc.EXECUTION_STATUS_COUNTS_SQL),
      all(oc.DUE_WORK_SQL, { nowMs }),
      all(oc.PENDING_INTERACTIONS_SQL),
      all(oc.ACTIVE_RELEASES_SQL),
      all(oc.ACTIVATION_COUNTS_SQL),
      all(oc.WORKER_STATE_COUNTS_SQL, { staleBeforeMs }),
      listAwaitAdmission(this.#pool, undefined),
      all(oc.ITEMS_OPEN_SQL),
    ]);
    const counts = oc.operationalCountsOf({
      executions,
      due: due[0],
      pending: pending[0],
      active,
      activations,
      workers,
      itemsOpen,
    } as unknown as oc.OperationalRows);
    return { ...counts, admission };
  };
  observeCommits: Store['observeCommits'] = (observer) => this.#writer.observers.add(observer);
}
