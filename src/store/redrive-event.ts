import type { RedriveRelease, RedriveTarget } from '../domain/redrive-target.ts';
import type { ExecutionRecord } from './records.ts';

/**
 * What both dialects decide before a re-drive's UPDATE: whether the release asked for fits the
 * execution (the same contract version), the release it ends on, and its journal event's data.
 */
export function redrivePlan(
  execution: ExecutionRecord,
  c: { reason: string; target?: RedriveTarget | undefined; toRelease?: RedriveRelease | undefined },
  nextAttempt: number,
):
  | { readonly fits: false }
  | { readonly fits: true; readonly releaseVersion: string; readonly data: Record<string, unknown> } {
  if (c.toRelease && c.toRelease.contractVersion !== execution.contractVersion) return { fits: false };
  const releaseVersion = c.toRelease?.releaseVersion ?? execution.releaseVersion;
  return {
    fits: true,
    releaseVersion,
    data: {
      previousStatus: execution.status,
      reason: c.reason,
      nextAttempt,
      targetRelease: c.target ?? 'pinned',
      fromRelease: execution.releaseVersion,
      toRelease: releaseVersion,
    },
  };
}
