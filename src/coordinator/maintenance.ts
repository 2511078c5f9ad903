import { DlqReason } from '../domain/execution-status.ts';
import { decideFailure } from '../domain/retry-policy.ts';
import { stepAttemptOf } from '../domain/step-attempt.ts';
import type { StepRetryPolicies } from './step-retry-policies.ts';
import { deadLetterPublication } from '../dlq/dead-letter.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Random } from '../runtime/random.ts';
import type { LeaderFence, Store } from '../store/store-port.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { EngineConfig } from './engine-config.ts';
import type { ExecutionWatch } from './execution-watch.ts';
import { FailureCode, LEASE_EXPIRED_MESSAGE, awaitTimeoutMessage } from '../domain/failure-codes.ts';
import { failureFingerprint } from '../dlq/failure-fingerprint.ts';
import type { FailureFingerprints } from './failure-fingerprints.ts';
import type { LifecycleLog } from './lifecycle-log.ts';
import { nodePruneAfterMs } from './node-presence.ts';
import type { Logger } from '../runtime/logger.ts';
import { HistoryArchive } from '../retention/history-archive.ts';
import { runRetention } from '../retention/retention-pass.ts';
import { DELIVERED_OUTBOX_KEPT_MS } from '../store/retention-rows.ts';

export interface MaintenanceReport {
  readonly reclaimedLeases: number;
  readonly timedOutInteractions: number;
  /** Executions deleted past their TTL, items included. */
  readonly purgedExecutions: number;
  /** History files retention wrote before deleting. */
  readonly archivedExecutions: number;
  /** Expired executions kept because their archive could not be written. */
  readonly archiveFailures: number;
  /** Executions started by schedules' slots. */
  readonly scheduledExecutions: number;
}

/** What a pass that did nothing (a follower's) reports. */
export const NOTHING_DONE: MaintenanceReport = {
  reclaimedLeases: 0,
  timedOutInteractions: 0,
  purgedExecutions: 0,
  archivedExecutions: 0,
  archiveFailures: 0,
  scheduledExecutions: 0,
};

export interface MaintenanceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  readonly config: EngineConfig;
  readonly dispatcher: Dispatcher;
  readonly watch: ExecutionWatch;
  readonly lifecycle: LifecycleLog;
  readonly logger: Logger;
  /** Each step's retry policy (its own, else the global one); the global one when absent. */
  readonly retryPolicies?: StepRetryPolicies;
  /** Fires the schedules' due slots (`schedule-firing.ts`); none fire when absent. */
  readonly fireSchedules?: (leader: LeaderFence) => Promise<number>;
  /** Fingerprints a failure that ends an execution; none kept when absent. */
  readonly fingerprints?: FailureFingerprints;
}

/**
 * One maintenance pass: reclaim expired leases (a lost try counts against the step's retry
 * budget, ending in `lease_lost_exhausted`), time out passed await deadlines (DLQ
 * `await_timeout`), fire the schedules' due slots, purge executions past their TTL (archiving
 * their history first when configured, `src/retention/`), prune delivered outbox messages, worker
 * history past its retention and nodes long silent. Each action is a guarded command, so two
 * passes racing each other act once.
 *
 * Only the maintenance leader runs it, and every command carries its fence: a pass of a
 * deposed leader changes nothing.
 *
 * `asOfMs` lets a store owned by this process alone treat every foreign lease as expired at
 * start-up: whoever held it is gone.
 */
export async function runMaintenance(
  d: MaintenanceDeps,
  leader: LeaderFence,
  asOfMs?: number,
): Promise<MaintenanceReport> {
  const nowMs = d.clock.now();
  const leaseCutoff = asOfMs ?? nowMs;
  const expiresAtMs = nowMs + d.config.executionTtlMs;
  let reclaimedLeases = 0;
  for (const lease of await d.store.findExpiredLeases(leaseCutoff, d.config.sweepLimit)) {
    if (d.dispatcher.isRunning(lease.executionId)) continue;
    const policy = (await d.retryPolicies?.of(lease, lease.stepIndex)) ?? d.config;
    const decided = decideFailure(
      policy,
      {
        attempt: lease.attempt,
        retryable: true,
        skipDlq: d.config.dlqProvider === 'none',
        exhaustedReason: 'lease_lost_exhausted',
      },
      nowMs,
      d.random,
    );
    // A lost lease means a dead process, not a struggling dependency: the try counts against
    // the budget, but there is nothing to back off from, so it is due at once.
    const decision = decided.kind === 'retry' ? { ...decided, dueAtMs: nowMs } : decided;
    const mark =
      decision.kind === 'retry'
        ? undefined
        : await d.fingerprints?.of(lease, lease.stepIndex, FailureCode.LEASE_EXPIRED, LEASE_EXPIRED_MESSAGE);
    const publication =
      decision.kind === 'dlq'
        ? deadLetterPublication({
            tenantId: lease.tenantId,
            executionId: lease.executionId,
            executionKey: lease.executionKey,
            transitionKey: `${lease.executionId}:${lease.stepIndex}:${lease.stepAttempt}`,
            reason: decision.reason,
            errorCode: FailureCode.LEASE_EXPIRED,
            errorMessage: 'The lease expired before the segment reported an outcome.',
            retryable: true,
            retriesObserved: lease.attempt,
            mark,
            nowMs,
          })
        : undefined;
    const won = await d.store.reclaimLease({
      ...mark,
      leader,
      executionId: lease.executionId,
      leaseEpoch: lease.leaseEpoch,
      stepIndex: lease.stepIndex,
      attempt: lease.attempt,
      asOfMs: leaseCutoff,
      decision,
      publication,
      nowMs,
      expiresAtMs,
    });
    if (won) {
      reclaimedLeases++;
      d.watch.changed(lease.executionId);
      const execution = await d.store.getExecution(lease.tenantId, lease.executionId);
      if (execution)
        await d.lifecycle.failed(
          execution,
          {
            stepIndex: lease.stepIndex,
            attempt: lease.stepAttempt,
            errorCode: FailureCode.LEASE_EXPIRED,
            errorMessage: 'The lease expired before the segment reported an outcome.',
          },
          decision,
          nowMs,
          'lease expired',
        );
    }
  }

  let timedOutInteractions = 0;
  for (const interaction of await d.store.findPassedDeadlines(nowMs, d.config.sweepLimit)) {
    const execution = await d.store.getExecution(interaction.tenantId, interaction.executionId);
    const toDlq = d.config.dlqProvider !== 'none';
    const mark = execution
      ? {
          stepId: interaction.stepId,
          fingerprint: failureFingerprint({
            pipelineId: execution.pipelineId,
            stepId: interaction.stepId,
            errorCode: FailureCode.AWAIT_TIMEOUT,
            errorMessage: awaitTimeoutMessage(interaction.interactionId),
          }),
        }
      : undefined;
    const won = await d.store.timeOutInteraction({
      ...mark,
      leader,
      interactionId: interaction.interactionId,
      reason: DlqReason.AWAIT_TIMEOUT,
      terminalStatus: toDlq ? 'DLQ' : 'FAILED',
      publication:
        toDlq && execution
          ? deadLetterPublication({
              tenantId: interaction.tenantId,
              executionId: interaction.executionId,
              executionKey: execution.executionKey,
              transitionKey: `${interaction.executionId}:${interaction.stepIndex}:${stepAttemptOf(execution)}`,
              reason: DlqReason.AWAIT_TIMEOUT,
              errorCode: FailureCode.AWAIT_TIMEOUT,
              errorMessage: awaitTimeoutMessage(interaction.interactionId),
              retryable: false,
              retriesObserved: execution.attempt,
              mark,
              nowMs,
            })
          : undefined,
      nowMs,
      expiresAtMs,
    });
    if (won) {
      timedOutInteractions++;
      d.watch.changed(interaction.executionId);
      if (execution)
        await d.lifecycle.failed(
          execution,
          {
            stepIndex: interaction.stepIndex,
            attempt: stepAttemptOf(execution),
            errorCode: FailureCode.AWAIT_TIMEOUT,
            errorMessage: `Await interaction timed out: ${interaction.interactionId}`,
          },
          toDlq
            ? { kind: 'dlq', reason: DlqReason.AWAIT_TIMEOUT }
            : { kind: 'failed', reason: DlqReason.AWAIT_TIMEOUT },
          nowMs,
          'await timed out',
        );
    }
  }

  const scheduledExecutions = (await d.fireSchedules?.(leader)) ?? 0;
  const retention = await runRetention(
    {
      store: d.store,
      logger: d.logger,
      batchSize: d.config.retentionBatchSize,
      batchesPerPass: d.config.retentionBatchesPerPass,
      archive:
        d.config.retentionArchiveDir === undefined
          ? undefined
          : new HistoryArchive(d.config.retentionArchiveDir, d.store),
    },
    leader,
    nowMs,
  );
  // One bounded batch per pass each: a long backlog (a store from before the history kept only
  // transitions) drains over several passes without holding the write lock for long.
  await d.store.pruneDeliveredOutbox(nowMs - DELIVERED_OUTBOX_KEPT_MS, d.config.sweepLimit);
  await d.store.pruneWorkerEvents(nowMs - d.config.workerHistoryRetentionMs, d.config.sweepLimit);
  await d.store.pruneNodes(nowMs - nodePruneAfterMs(d.config));
  return {
    reclaimedLeases,
    timedOutInteractions,
    purgedExecutions: retention.purged,
    archivedExecutions: retention.archived,
    archiveFailures: retention.archiveFailures,
    scheduledExecutions,
  };
}
