/**
 * Parking: a due execution no worker can take is moved out of the head of the due index, so
 * claims stay a few index probes however many such executions there are. A parked execution
 * keeps its status (QUEUED or WAIT_RETRY); its `next_due_at` moves past any real instant:
 *
 * - `PARKED_NO_ROUTE`: the claiming node had no worker for its (tenant, pipeline, release).
 *   A node that has one claims it straight from the parked set.
 * - `PARKED_DISPATCH_BASE + notBeforeMs`: dispatch failed too often in a row (the worker
 *   refused or could not be reached). It is woken (due now) by the first registration or
 *   heartbeat of a worker for its (tenant, pipeline, release) at or after `notBeforeMs`, so an
 *   endpoint that heartbeats but cannot be reached costs one try per back-off cap.
 *
 * Both sentinels lie far past any clock reading (year 128 000 and later) and below 2^53.
 */
export const PARKED_DISPATCH_BASE = 4_000_000_000_000_000;
export const PARKED_NO_ROUTE = 8_000_000_000_000_000;

/** Consecutive dispatch errors after which an execution is parked rather than retried. */
export const DISPATCH_ERRORS_BEFORE_PARKING = 5;

/** What stands between a due execution and a worker, as the status shows it. */
export function parkedFor(nextDueAtMs: number | null): { notBeforeMs: number | null } | undefined {
  if (nextDueAtMs === null || nextDueAtMs < PARKED_DISPATCH_BASE) return undefined;
  if (nextDueAtMs >= PARKED_NO_ROUTE) return { notBeforeMs: null };
  return { notBeforeMs: nextDueAtMs - PARKED_DISPATCH_BASE };
}

/** The worker routes of one node: the (tenant, pipeline, release) triples it can dispatch. */
export interface Route {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly releaseVersion: string;
}

/** One string per route, for maps and sets keyed by route. */
export const routeKey = (r: Route): string => `${r.tenantId}\u0000${r.pipelineId}\u0000${r.releaseVersion}`;
