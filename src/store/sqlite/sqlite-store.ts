import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Store } from '../store-port.ts';
import { claimDue, wakeParked } from './claim.ts';
import { SqliteGroupCommit } from './group-commit.ts';
import { listAwaitAdmission } from './admission.ts';
import { completeInteraction } from './interaction-commands.ts';
import { acquireLeadership, getLeadership, releaseLeadership } from './leadership.ts';
import { listExecutions } from './list-executions.ts';
import * as dlq from './dlq-queries.ts';
import * as nodes from './node-registry.ts';
import * as oc from '../operational-counts.ts';
import { LIVE_RELEASES_SQL, liveReleaseFromRow, type LiveReleaseRow } from '../live-releases.ts';
import {
  findExpiredLeases,
  findPassedDeadlines,
  reclaimLease,
  timeOutInteraction,
} from './maintenance-commands.ts';
import * as retention from './retention-commands.ts';
import { countingConnection } from './counting-connection.ts';
import { StatementCounter } from '../statement-counter.ts';
import { listMigrations, listMigrationsAhead, listPendingMigrations, migrate } from './migrate.ts';
import type { Migration } from '../migrations.ts';
import { cancel, redrive } from './operator-commands.ts';
import * as o from './outbox-commands.ts';
import * as q from './queries.ts';
import { rebuildProjections, snapshotProjections } from './rebuild.ts';
import * as r from './release-records.ts';
import * as w from './worker-records.ts';
import * as sch from './schedule-commands.ts';
import { checkpointStep, commitSegment, fail, succeed, suspend } from './segment-commands.ts';
import { assertSegmentShape, lostMidSegment } from '../segment-commit.ts';
import {
  isBusyOrLocked,
  openSqlite,
  scalar,
  type SqliteConnection,
  type SqliteDriverName,
} from './sqlite-driver.ts';
import { Statements } from './statements.ts';
import { makeFilesPrivate, makePrivateDir, makePrivateFile } from '../../util/private-files.ts';
import { submitExecution } from './submit.ts';

export interface SqliteStoreOptions {
  /** The database file; the directory is created if needed. */
  readonly file: string;
  /**
   * `full` (default): `synchronous=FULL`, every acknowledged write survives power loss.
   * `relaxed`: `synchronous=NORMAL`; a power loss (not a process crash) may lose the last
   * commits before the WAL is checkpointed.
   */
  readonly durability?: 'full' | 'relaxed';
  readonly nowMs?: () => number;
  /** Defaults to `chooseSqliteDriver()`: better-sqlite3 on Node 20 and 22, node:sqlite on 24. */
  readonly driver?: SqliteDriverName;
  /** The migrations this code knows; default this dialect's files (a test plays a newer Capstan with more). */
  readonly migrations?: readonly Migration[];
}

/**
 * The embedded store: one SQLite file in WAL mode, owned by one coordinator process
 * (`locking_mode=EXCLUSIVE`, so a second process on the same data directory is refused).
 * Writes go through group commit; reads run directly on the same connection and therefore
 * see exactly what has been committed.
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly exclusive = true;
  readonly #db: SqliteConnection;
  readonly #sql: Statements;
  readonly #writer: SqliteGroupCommit;
  readonly #nowMs: () => number;
  readonly #file: string;
  readonly #statements = new StatementCounter();
  readonly #migrations: readonly Migration[];
  #closed = false;

  constructor(options: SqliteStoreOptions) {
    makePrivateDir(dirname(options.file));
    // Created owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
    makePrivateFile(options.file);
    this.#file = options.file;
    this.#db = countingConnection(openSqlite(options.file, options.driver), this.#statements);
    try {
      this.#db.exec('PRAGMA locking_mode = EXCLUSIVE');
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec(`PRAGMA synchronous = ${options.durability === 'relaxed' ? 'NORMAL' : 'FULL'}`);
      // Take the exclusive lock now, so a second coordinator fails at start, not mid-flight.
      this.#db.exec('BEGIN IMMEDIATE; COMMIT');
    } catch (error) {
      this.#db.close();
      throw isBusyOrLocked(error)
        ? new Error(`${options.file} is in use by another coordinator process`, { cause: error })
        : error;
    }
    // Files an earlier version left readable to others are made owner-only too.
    makeFilesPrivate([`${options.file}-wal`, `${options.file}-shm`, `${options.file}-journal`]);
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#sql = new Statements(this.#db);
    this.#writer = new SqliteGroupCommit(this.#db);
    this.#nowMs = options.nowMs ?? Date.now;
    this.#migrations = options.migrations ?? listMigrations();
  }

  /** Transactions committed so far (group commit shares one among many commands). */
  get commits(): number {
    return this.#writer.commits;
  }

  get statements(): number {
    return this.#statements.count;
  }

  async migrate(): Promise<number[]> {
    return migrate(this.#db, this.#nowMs(), this.#migrations);
  }
  pendingMigrations: Store['pendingMigrations'] = async () =>
    listPendingMigrations(this.#db, this.#migrations);
  migrationsAhead: Store['migrationsAhead'] = async () => listMigrationsAhead(this.#db, this.#migrations);
  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }
  /** A local file has no network to lose: its failures are never "unreachable". */
  isUnreachable(_error: unknown): boolean {
    return false;
  }
  async durabilitySettings(): Promise<Record<string, string>> {
    const synchronous = ['OFF', 'NORMAL', 'FULL', 'EXTRA'][Number(scalar(this.#db, 'PRAGMA synchronous'))];
    return {
      journal_mode: String(scalar(this.#db, 'PRAGMA journal_mode')).toUpperCase(),
      synchronous: synchronous ?? 'UNKNOWN',
    };
  }
  /** The SQLite driver in use (see `chooseSqliteDriver`). */
  get driver(): SqliteDriverName {
    return this.#db.driver;
  }
  /** Commits what is queued, then closes; closing again is a no-op. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close();
    this.#db.close();
  }

  #write<T>(command: () => T): Promise<T> {
    return this.#writer.run(command);
  }

  submit: Store['submit'] = (c) => this.#write(() => submitExecution(this.#sql, c));
  claimDue: Store['claimDue'] = (c) => this.#write(() => claimDue(this.#sql, c));
  wakeParked: Store['wakeParked'] = (c) => this.#write(() => wakeParked(this.#sql, c));
  renewLeases: Store['renewLeases'] = (fences, untilMs) =>
    this.#write(() => {
      const renew = this.#sql.get(
        `UPDATE executions SET lease_expires_at = ? WHERE execution_id = ? AND status = 'RUNNING' AND lease_epoch = ?`,
      );
      return fences.reduce((n, f) => n + renew.run(untilMs, f.executionId, f.leaseEpoch).changes, 0);
    });
  checkpointStep: Store['checkpointStep'] = (c) => this.#write(() => checkpointStep(this.#sql, c));
  succeed: Store['succeed'] = (c) => this.#write(() => succeed(this.#sql, c));
  suspend: Store['suspend'] = (c) => this.#write(() => suspend(this.#sql, c));
  fail: Store['fail'] = (c) => this.#write(() => fail(this.#sql, c));
  commitSegment: Store['commitSegment'] = async (c) => {
    assertSegmentShape(c);
    return this.#write(() => commitSegment(this.#sql, c)).catch(lostMidSegment);
  };
  completeInteraction: Store['completeInteraction'] = (c) =>
    this.#write(() => completeInteraction(this.#sql, c));
  redrive: Store['redrive'] = (c) => this.#write(() => redrive(this.#sql, c));
  cancel: Store['cancel'] = (c) => this.#write(() => cancel(this.#sql, c));

  findExpiredLeases: Store['findExpiredLeases'] = async (nowMs, limit) =>
    findExpiredLeases(this.#sql, nowMs, limit);
  reclaimLease: Store['reclaimLease'] = (c) => this.#write(() => reclaimLease(this.#sql, c));
  findPassedDeadlines: Store['findPassedDeadlines'] = async (nowMs, limit) =>
    findPassedDeadlines(this.#sql, nowMs, limit);
  timeOutInteraction: Store['timeOutInteraction'] = (c) =>
    this.#write(() => timeOutInteraction(this.#sql, c));
  findExpired: Store['findExpired'] = async (nowMs, limit) => retention.findExpired(this.#sql, nowMs, limit);
  listItemIds: Store['listItemIds'] = async (parentId, after, limit) =>
    retention.listItemIds(this.#sql, parentId, after, limit);
  purgeExpired: Store['purgeExpired'] = (c) => this.#write(() => retention.purgeExpired(this.#sql, c));
  pruneDeliveredOutbox: Store['pruneDeliveredOutbox'] = (beforeMs, limit) =>
    this.#write(() => retention.pruneDeliveredOutbox(this.#sql, beforeMs, limit));

  acquireLeadership: Store['acquireLeadership'] = (c) => this.#write(() => acquireLeadership(this.#sql, c));
  releaseLeadership: Store['releaseLeadership'] = (fence) =>
    this.#write(() => releaseLeadership(this.#sql, fence));
  getLeadership: Store['getLeadership'] = async (role) => getLeadership(this.#sql, role);

  recordNodeHeartbeat: Store['recordNodeHeartbeat'] = (h) =>
    this.#write(() => nodes.recordNodeHeartbeat(this.#sql, h));
  markNodeStopped: Store['markNodeStopped'] = (c) => this.#write(() => nodes.markNodeStopped(this.#sql, c));
  listNodes: Store['listNodes'] = async () => nodes.listNodes(this.#sql);
  pruneNodes: Store['pruneNodes'] = (beforeMs) => this.#write(() => nodes.pruneNodes(this.#sql, beforeMs));

  getExecution: Store['getExecution'] = async (tenantId, id) => q.getExecution(this.#sql, tenantId, id);
  getStepOutput: Store['getStepOutput'] = async (id, stepIndex) => q.getStepOutput(this.#sql, id, stepIndex);
  getStepOutputs: Store['getStepOutputs'] = async (id, below) => q.getStepOutputs(this.#sql, id, below);
  findInteraction: Store['findInteraction'] = async (tenantId, ref) =>
    q.findInteraction(this.#sql, tenantId, ref);
  listPendingInteractions: Store['listPendingInteractions'] = async (tenantId, filter) =>
    q.listPendingInteractions(this.#sql, tenantId, filter);
  listAwaitAdmission: Store['listAwaitAdmission'] = async (tenantId) =>
    listAwaitAdmission(this.#sql, tenantId);
  readJournal: Store['readJournal'] = async (id, afterSeq, limit) =>
    q.readJournal(this.#sql, id, afterSeq, limit);
  nextWakeAtMs: Store['nextWakeAtMs'] = async () => q.nextWakeAtMs(this.#sql);
  listExecutions: Store['listExecutions'] = async (tenantId, filter) =>
    listExecutions(this.#sql, tenantId, filter);
  listDlq: Store['listDlq'] = async (tenantId, filter) => dlq.listDlq(this.#sql, tenantId, filter);
  dlqGroups: Store['dlqGroups'] = async (tenantId, filter) => dlq.dlqGroups(this.#sql, tenantId, filter);
  listLiveReleases: Store['listLiveReleases'] = async () =>
    (this.#sql.get(LIVE_RELEASES_SQL).all() as LiveReleaseRow[]).map(liveReleaseFromRow);

  readOutbox: Store['readOutbox'] = async (limit) => o.readOutbox(this.#sql, limit);
  listParkedOutbox: Store['listParkedOutbox'] = async (limit) => o.listParkedOutbox(this.#sql, limit);
  claimOutbox: Store['claimOutbox'] = (c) => this.#write(() => o.claimOutbox(this.#sql, c));
  markOutboxDelivered: Store['markOutboxDelivered'] = (ids, nowMs) =>
    this.#write(() => o.markOutboxDelivered(this.#sql, ids, nowMs));
  failOutboxDelivery: Store['failOutboxDelivery'] = (c) =>
    this.#write(() => o.failOutboxDelivery(this.#sql, c));

  registerRelease: Store['registerRelease'] = (release) =>
    this.#write(() => r.registerRelease(this.#sql, release));
  activateRelease: Store['activateRelease'] = (a) => this.#write(() => r.activateRelease(this.#sql, a));
  getRelease: Store['getRelease'] = async (t, p, v) => r.getRelease(this.#sql, t, p, v);
  getActiveRelease: Store['getActiveRelease'] = async (t, p) => r.getActiveRelease(this.#sql, t, p);
  listReleases: Store['listReleases'] = async (t, p) => r.listReleases(this.#sql, t, p);
  listActivations: Store['listActivations'] = async (t, p) => r.listActivations(this.#sql, t, p);
  listPipelines: Store['listPipelines'] = async (t) => r.listPipelines(this.#sql, t);
  registerWorker: Store['registerWorker'] = (registration, options) =>
    this.#write(() => w.registerWorker(this.#sql, registration, options));
  signalWorker: Store['signalWorker'] = (signal) => this.#write(() => w.signalWorker(this.#sql, signal));
  getWorker: Store['getWorker'] = async (t, p, id) => w.getWorker(this.#sql, t, p, id);
  listWorkers: Store['listWorkers'] = async (t, p) => w.listWorkers(this.#sql, t, p);
  listWorkerEvents: Store['listWorkerEvents'] = async (t, p) => w.listWorkerEvents(this.#sql, t, p);
  pruneWorkerEvents: Store['pruneWorkerEvents'] = (beforeMs, limit) =>
    this.#write(() => w.pruneWorkerEvents(this.#sql, beforeMs, limit));
  listWorkerPipelines: Store['listWorkerPipelines'] = async () => w.listWorkerPipelines(this.#sql);

  createSchedule: Store['createSchedule'] = (s) => this.#write(() => sch.createSchedule(this.#sql, s));
  getSchedule: Store['getSchedule'] = async (t, id) => sch.getSchedule(this.#sql, t, id);
  listSchedules: Store['listSchedules'] = async (t, p) => sch.listSchedules(this.#sql, t, p);
  setSchedulePaused: Store['setSchedulePaused'] = (c) =>
    this.#write(() => sch.setSchedulePaused(this.#sql, c));
  deleteSchedule: Store['deleteSchedule'] = (t, id) =>
    this.#write(() => sch.deleteSchedule(this.#sql, t, id));
  findDueSchedules: Store['findDueSchedules'] = async (nowMs, limit) =>
    sch.findDueSchedules(this.#sql, nowMs, limit);
  advanceSchedule: Store['advanceSchedule'] = (c) => this.#write(() => sch.advanceSchedule(this.#sql, c));

  rebuildProjections: Store['rebuildProjections'] = () => this.#write(() => rebuildProjections(this.#sql));
  snapshotProjections: Store['snapshotProjections'] = async () => snapshotProjections(this.#sql);
  /** SQLite's online backup of the serving connection (the only one the exclusive lock lets in). */
  onlineBackup: NonNullable<Store['onlineBackup']> = async () => {
    const dir = join(dirname(this.#file), 'backups');
    makePrivateDir(dir);
    const file = join(dir, `capstan-${this.#nowMs()}-${randomBytes(4).toString('hex')}.db`);
    await this.#db.backup(file);
    // The copy holds everything the store does: owner-only, like the database itself.
    makeFilesPrivate([file]);
    return file;
  };

  operationalCounts: Store['operationalCounts'] = async (nowMs, staleBeforeMs) => {
    const all = (sql: string, params: object = {}) => this.#sql.get(sql).all(params);
    const counts = oc.operationalCountsOf({
      executions: all(oc.EXECUTION_STATUS_COUNTS_SQL),
      due: all(oc.DUE_WORK_SQL, { nowMs })[0],
      pending: all(oc.PENDING_INTERACTIONS_SQL)[0],
      active: all(oc.ACTIVE_RELEASES_SQL),
      activations: all(oc.ACTIVATION_COUNTS_SQL),
      workers: all(oc.WORKER_STATE_COUNTS_SQL, { staleBeforeMs }),
      itemsOpen: all(oc.ITEMS_OPEN_SQL),
    } as unknown as oc.OperationalRows);
    return { ...counts, admission: listAwaitAdmission(this.#sql, undefined) };
  };
  observeCommits: Store['observeCommits'] = (observer) => this.#writer.observers.add(observer);
}
