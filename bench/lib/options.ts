/** The command line of `npm run bench`. */
import { parseArgs } from 'node:util';

export const SCENARIOS = ['w1', 'w2', 'w3', 'w4', 'scale'] as const;
/** What runs without --scenarios: the scale runs seed millions of rows, so they run when named. */
const DEFAULT_SCENARIOS: readonly Scenario[] = ['w1', 'w2', 'w3', 'w4'];
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
  /** Runs per scenario and store; tables and JSON show the median and min–max. */
  readonly repeats: number;
  /** Stored rows for the scale scenario: S finished and S parked executions per level. */
  readonly scaleLevels: readonly number[];
  /** Another node binary for Capstan's processes (this checkout's node_modules must suit it). */
  readonly node: string | undefined;
  /** A Node major for Capstan's processes, run from a copy prepared by bench/node-runtime.sh. */
  readonly nodeMajor: number | undefined;
  /** Runs of `capstan --version` whose median is the CLI start-up figure. */
  readonly cliRuns: number;
}

export const USAGE = `npm run bench -- [options]
  --quick                  a short run: N = 500
  --n <count>              executions per throughput run (default 5000)
  --scenarios w1,w2,w3,w4,scale
                           which scenarios (default w1,w2,w3,w4; scale seeds millions of rows)
  --repeats <count>        runs of every scenario; the tables show median (min–max) (default 1)
  --scale-levels <list>    stored executions for scale: S finished + S parked each (default 0,1000,100000,1000000)
  --node <path>            run Capstan's processes on this node binary, from this checkout
  --node-major <M>         run them on Node M from the npm registry, from a copy of this working tree
                           with its own npm ci (bench/node-runtime.sh; cached in /tmp)
  --cli-runs <count>       runs of \`capstan --version\` for the CLI start-up median (default 21; --quick 7)
  --stores sqlite,postgres which stores (default both)
  --json <file>            where to write the results (default bench/results/<timestamp>.json)
  --compare                also run the anchors (shared/bench/anchors/run.sh <N>, beside the checkout
                           or $CAPSTAN_ANCHORS_DIR) and print Capstan / anchor ratios
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

function integer(raw: string | undefined, flag: string, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const x = Number(raw);
  if (!Number.isInteger(x) || x < min) throw new Error(`${flag} must be an integer ≥ ${min}, got '${raw}'`);
  return x;
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
      repeats: { type: 'string' },
      'scale-levels': { type: 'string' },
      node: { type: 'string' },
      'node-major': { type: 'string' },
      'cli-runs': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const n = integer(values.n, '--n', values.quick ? 500 : 5000);
  if (values.node !== undefined && values['node-major'] !== undefined)
    throw new Error('--node and --node-major exclude each other');
  const levels = (values['scale-levels'] ?? '0,1000,100000,1000000')
    .split(',')
    .map((x) => integer(x.trim(), '--scale-levels', 0, 0));
  return {
    quick: values.quick,
    n,
    scenarios:
      values.scenarios === undefined ? DEFAULT_SCENARIOS : listOf(values.scenarios, SCENARIOS, 'scenario'),
    stores: listOf(values.stores, STORES, 'store'),
    json: values.json,
    compare: values.compare,
    pgUrl:
      values['pg-url'] ?? process.env.CAPSTAN_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    repeats: integer(values.repeats, '--repeats', 1),
    scaleLevels: levels,
    node: values.node,
    nodeMajor:
      values['node-major'] === undefined ? undefined : integer(values['node-major'], '--node-major', 0),
    cliRuns: integer(values['cli-runs'], '--cli-runs', values.quick ? 7 : 21),
  };
}
