import { resolve } from 'node:path';
import type { EngineConfig } from '../coordinator/engine-config.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';
import { awaitAdmissionConfigOf } from './await-admission-config.ts';
import { loadConfig } from './load-config.ts';
import type { Settings } from './settings.ts';

const ms = (iso: string): number => parseIsoDuration(iso) ?? 0;

/** The engine's configuration from resolved settings: the one place setting keys become engine fields. */
export function engineConfigOf(values: Settings, nodeId: string): EngineConfig {
  const p = 'pipeline.orchestrator.';
  const archiveDir = values['capstan.retention.archive-dir'];
  return {
    nodeId,
    leaseMs: values[`${p}lease-ms`],
    maxRetries: values[`${p}max-retries`],
    retryDelayMs: ms(values[`${p}retry-delay`]),
    retryMultiplier: values[`${p}retry-multiplier`],
    retryMaxDelayMs: ms(values[`${p}retry-max-delay`]),
    jitter: values[`${p}retry-jitter`],
    sweepIntervalMs: Math.max(1000, ms(values[`${p}sweep-interval`])),
    sweepLimit: values[`${p}sweep-limit`],
    maxInFlight: values[`${p}worker.max-in-flight`],
    executionTtlMs: values[`${p}execution-ttl-days`] * 86_400_000,
    retentionBatchSize: values['capstan.retention.batch-size'],
    retentionBatchesPerPass: values['capstan.retention.batches-per-pass'],
    retentionArchiveDir: archiveDir === undefined ? undefined : resolve(archiveDir),
    idempotencyPolicy: values[`${p}idempotency-policy`],
    dlqProvider: values[`${p}dlq-provider`],
    remoteOutcomeUnknownPolicy: values[`${p}remote-outcome-unknown-policy`],
    workerStaleAfterMs: ms(values[`${p}worker.lifecycle.stale-after`]),
    workerHistoryRetentionMs: ms(values[`${p}worker.lifecycle.history-retention`]),
    leaderLeaseMs: ms(values[`${p}cluster.leader-lease`]),
    maxClockSkewMs: ms(values[`${p}cluster.max-clock-skew`]),
    activeReleaseTtlMs: ms(values[`${p}releases.active-cache-ttl`]),
    stepTimeoutMs: ms(values['capstan.step-timeout']),
    awaitAdmission: awaitAdmissionConfigOf(values),
    maxItemsPerExecution: values['capstan.items.max-per-execution'],
    scheduleMisfireGraceMs: ms(values['capstan.schedules.misfire-grace']),
  };
}

/**
 * What an engine built as a library runs by when its caller sets nothing: the settings'
 * defaults, so `capstan serve` with no configuration and `createCoordinator` agree.
 */
export const defaultEngineConfig: EngineConfig = engineConfigOf(
  loadConfig({ env: {} }).values,
  'capstan-local',
);
