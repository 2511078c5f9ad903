/** The command line of `npm run bench`. */
import { parseArgs } from 'node:util';

export const SCENARIOS = ['w1', 'w2', 'w3'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

export interface BenchOptions {
  readonly quick: boolean;
  /** Executions per throughput run (W1, W2); W3 runs min(200, n) at concurrency 10 and min(100, n) at 1. */
  readonly n: number;
  readonly scenarios: readonly Scenario[];
  readonly stores: readonly StoreKind[];
  /** Where the JSON goes; default bench/results/<timestamp>.json. */
  readonly json: string | undefined;
  readonly compare: boolean;
  readonly pgUrl: string;
}

export const USAGE = `npm run bench -- [options]
  --quick                  a short run: N = 500
  --n <count>              executions per throughput run (default 5000)
  --scenarios w1,w2,w3     which scenarios (default all)
  --stores sqlite,postgres which stores (default both)
  --json <file>            where to write the results (default bench/results/<timestamp>.json)
  --compare                also run ../shared/bench/anchors/run.sh <N> and print Capstan / anchor ratios
  --pg-url <url>           PostgreSQL for the postgres runs (default $CAPSTAN_BENCH_POSTGRES_URL or
                           postgres://postgres@127.0.0.1:5432/test); each scenario gets a fresh schema
Environment: CAPSTAN_BENCH_NODE_FLAGS adds Node flags to every coordinator process (e.g. --cpu-prof);
REPEATS, ANCHORS and SKIP_LIMITS (default 1 here) pass through to the anchors' run.sh.`;

function listOf<T extends string>(raw: string | undefined, allowed: readonly T[], what: string): T[] {
  if (raw === undefined) return [...allowed];
  const items = raw.split(',').map((s) => s.trim().toLowerCase());
  for (const item of items)
    if (!allowed.includes(item as T))
      throw new Error(`unknown ${what} '${item}' (one of ${allowed.join(', ')})`);
  return allowed.filter((a) => items.includes(a));
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      n: { type: 'string' },
      scenarios: { type: 'string' },
      stores: { type: 'string' },
      json: { type: 'string' },
      compare: { type: 'boolean', default: false },
      'pg-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const n = values.n === undefined ? (values.quick ? 500 : 5000) : Number(values.n);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--n must be a positive integer, got '${values.n}'`);
  return {
    quick: values.quick,
    n,
    scenarios: listOf(values.scenarios, SCENARIOS, 'scenario'),
    stores: listOf(values.stores, STORES, 'store'),
    json: values.json,
    compare: values.compare,
    pgUrl:
      values['pg-url'] ?? process.env.CAPSTAN_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  };
}
