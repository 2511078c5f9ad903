/**
 * Two ways to spread tenants over several PostgreSQL databases (docs/scaling.md): by hash
 * (rendezvous hashing: no table, each node computes the owner) or by a placement table the
 * operator keeps (largest tenants first onto the least loaded database). Pure functions, so the
 * simulation beside it can compare them on the same tenants.
 */
import { createHash } from 'node:crypto';

export interface Tenant {
  readonly id: string;
  /** Executions per second this tenant submits, on average. */
  readonly load: number;
}

/** Tenant id → database index. */
export type Placement = ReadonlyMap<string, number>;

/** Rendezvous (highest random weight) hashing: each tenant goes to the database scoring highest for it. */
export function placeByHash(tenants: readonly Tenant[], databases: number): Placement {
  return new Map(tenants.map((t) => [t.id, rendezvousOwner(t.id, databases)]));
}

function rendezvousOwner(tenantId: string, databases: number): number {
  let best = 0;
  let bestScore = -1n;
  for (let db = 0; db < databases; db++) {
    const score = createHash('sha256').update(`${tenantId}\u0000${db}`).digest().readBigUInt64BE(0);
    if (score > bestScore) [best, bestScore] = [db, score];
  }
  return best;
}

/** A placement table: largest tenants first, each onto the database with the least load so far. */
export function placeByTable(tenants: readonly Tenant[], databases: number): Placement {
  const loads = new Array<number>(databases).fill(0);
  const placement = new Map<string, number>();
  for (const tenant of [...tenants].sort((a, b) => b.load - a.load)) {
    const db = loads.indexOf(Math.min(...loads));
    placement.set(tenant.id, db);
    loads[db] = (loads[db] ?? 0) + tenant.load;
  }
  return placement;
}

/**
 * A new database joins a table placement: tenants move to it from the most loaded databases,
 * the largest that still fits first (fewest moves), until it carries its share. Only the moved
 * tenants are drained and copied.
 */
export function addDatabaseToTable(
  tenants: readonly Tenant[],
  placement: Placement,
  databases: number,
): Placement {
  const next = new Map(placement);
  const loads = loadsOf(tenants, next, databases + 1);
  const share = tenants.reduce((sum, t) => sum + t.load, 0) / (databases + 1);
  const largestFirst = [...tenants].sort((a, b) => b.load - a.load);
  while ((loads[databases] ?? 0) < share) {
    const from = loads.indexOf(Math.max(...loads.slice(0, databases)));
    const room = share * 1.05 - (loads[databases] ?? 0);
    const mover = largestFirst.find((t) => next.get(t.id) === from && t.load <= room);
    if (!mover) break;
    next.set(mover.id, databases);
    loads[from] = (loads[from] ?? 0) - mover.load;
    loads[databases] = (loads[databases] ?? 0) + mover.load;
  }
  return next;
}

export function loadsOf(tenants: readonly Tenant[], placement: Placement, databases: number): number[] {
  const loads = new Array<number>(databases).fill(0);
  for (const t of tenants) {
    const db = placement.get(t.id);
    if (db === undefined) throw new Error(`tenant ${t.id} has no database`);
    loads[db] = (loads[db] ?? 0) + t.load;
  }
  return loads;
}

/** Tenants whose database differs between two placements (each a drain, a copy and a switch), and their load. */
export function moved(
  tenants: readonly Tenant[],
  before: Placement,
  after: Placement,
): { tenants: number; load: number } {
  const movers = tenants.filter((t) => after.get(t.id) !== before.get(t.id));
  return { tenants: movers.length, load: movers.reduce((sum, t) => sum + t.load, 0) };
}
