/**
 * `npm run bench:partitioning -- [--tenants 10000] [--capacity 2250] [--headroom 0.6] [--json <file>]`
 *
 * Scaling past one PostgreSQL primary, simulated (docs/scaling.md): tenants with Zipf-shaped
 * load (a few large, many small) are spread over as many databases as the total load needs at
 * `headroom` × one primary's capacity, by hash and by placement table, then one database is
 * added. It reports how even each placement is, how many tenants an added database moves, and
 * which tenants no single primary can carry (they are split by execution key). The capacity
 * default is W1 on PostgreSQL from `npm run bench` on a two-core machine (docs/performance.md).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { num, table } from './lib/table.ts';
import {
  addDatabaseToTable,
  loadsOf,
  moved,
  placeByHash,
  placeByTable,
  type Placement,
  type Tenant,
} from './partitioning/placement.ts';

export interface PlacementFigures {
  /** The busiest database's load, as a share of one primary's capacity. */
  readonly maxLoadOfCapacity: number;
  /** The busiest database's load over the mean. */
  readonly imbalance: number;
  /** When one database is added: how many tenants move, and the share of the load they carry. */
  readonly movedTenants: number;
  readonly movedLoad: number;
}

export interface PartitionRow {
  readonly totalLoad: number;
  readonly databases: number;
  readonly hottestTenantLoad: number;
  readonly splitTenants: number;
  readonly hash: PlacementFigures;
  readonly table: PlacementFigures;
}

/** `count` tenants whose loads follow Zipf's law with exponent `s`, summing to `total` executions/s. */
export function zipfTenants(count: number, total: number, s = 1.1): Tenant[] {
  const weights = Array.from({ length: count }, (_, i) => 1 / (i + 1) ** s);
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w, i) => ({ id: `tenant-${i}`, load: (w / sum) * total }));
}

/** A tenant larger than one database's planned load is split into shards by execution key hash. */
export function splitHotTenants(tenants: readonly Tenant[], perDatabase: number): Tenant[] {
  return tenants.flatMap((t) => {
    const shards = Math.ceil(t.load / perDatabase);
    if (shards <= 1) return [t];
    return Array.from({ length: shards }, (_, k) => ({ id: `${t.id}#${k}`, load: t.load / shards }));
  });
}

export function simulate(options: {
  tenants: number;
  capacity: number;
  headroom: number;
  totalLoad: number;
}): PartitionRow {
  const perDatabase = options.capacity * options.headroom;
  const original = zipfTenants(options.tenants, options.totalLoad);
  const tenants = splitHotTenants(original, perDatabase);
  const databases = Math.max(1, Math.ceil(options.totalLoad / perDatabase));
  const measure = (placement: Placement, grown: Placement) => {
    const loads = loadsOf(tenants, placement, databases);
    const mean = options.totalLoad / databases;
    return {
      maxLoadOfCapacity: Math.max(...loads) / options.capacity,
      imbalance: Math.max(...loads) / mean,
      movedTenants: moved(tenants, placement, grown).tenants,
      movedLoad: moved(tenants, placement, grown).load / options.totalLoad,
    };
  };
  const hashed = placeByHash(tenants, databases);
  const tabled = placeByTable(tenants, databases);
  return {
    totalLoad: options.totalLoad,
    databases,
    hottestTenantLoad: original[0]?.load ?? 0,
    splitTenants: original.filter((t) => t.load > perDatabase).length,
    hash: measure(hashed, placeByHash(tenants, databases + 1)),
    table: measure(tabled, addDatabaseToTable(tenants, tabled, databases)),
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      tenants: { type: 'string', default: '10000' },
      capacity: { type: 'string', default: '2250' },
      headroom: { type: 'string', default: '0.6' },
      loads: { type: 'string', default: '1000,10000,100000' },
      json: { type: 'string' },
    },
    strict: true,
  });
  const tenants = Number(values.tenants);
  const capacity = Number(values.capacity);
  const headroom = Number(values.headroom);
  const loads = values.loads.split(',').map(Number);
  if (!Number.isInteger(tenants) || tenants < 1)
    throw new Error(`--tenants: '${values.tenants}' is not a count`);
  if (!(capacity > 0)) throw new Error(`--capacity: '${values.capacity}' is not executions/s`);
  if (!(headroom > 0 && headroom <= 1)) throw new Error(`--headroom: '${values.headroom}' is not in (0, 1]`);
  if (loads.some((l) => !(l > 0)))
    throw new Error(`--loads: '${values.loads}' is not a list of executions/s`);

  const rows = loads.map((totalLoad) => simulate({ tenants, capacity, headroom, totalLoad }));
  const pct = (x: number) => `${num(x * 100, 0)} %`;
  console.log(
    table(
      `Tenants: ${num(tenants)} (Zipf 1.1); one primary: ${num(capacity)} exec/s, planned at ${pct(headroom)}`,
      [
        'total exec/s',
        'databases',
        'hottest tenant exec/s',
        'tenants split',
        'hash: busiest db',
        'hash: max ÷ mean',
        'hash: +1 db moves',
        'table: busiest db',
        'table: max ÷ mean',
        'table: +1 db moves',
      ],
      rows.map((r) => [
        num(r.totalLoad),
        num(r.databases),
        num(r.hottestTenantLoad),
        num(r.splitTenants),
        pct(r.hash.maxLoadOfCapacity),
        num(r.hash.imbalance, 2),
        `${num(r.hash.movedTenants)} (${pct(r.hash.movedLoad)})`,
        pct(r.table.maxLoadOfCapacity),
        num(r.table.imbalance, 2),
        `${num(r.table.movedTenants)} (${pct(r.table.movedLoad)})`,
      ]),
    ),
  );
  if (values.json) writeFileSync(values.json, JSON.stringify({ tenants, capacity, headroom, rows }, null, 2));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
