/**
 * `npm run bench:csv-payments -- [--rows 1000,10000] [--transports nats,rabbitmq] [--json <file>]`
 *
 * The csv-payments example end to end, as `npm run example:csv-payments` runs it (a coordinator
 * process on SQLite, a provider mock process, a real broker), once per row count and broker:
 * rows/s, wall time from submit to success, and the coordinator's peak RSS, beside the published
 * figures of the TPF self-hosted coordinator on the same workload (17 s for 1,000 rows; 10,000
 * rows miss its 180 s deadline). Rows are rejected with probability 0.08, as in that run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { brokerNames, startCsvPayments } from '../examples/csv-payments/run-csv-payments.ts';
import type { BrokerName } from '../src/config/broker-links.ts';
import { processResources } from './lib/process-resources.ts';
import { ROOT } from './lib/runtime.ts';
import { num, table } from './lib/table.ts';

/** TPF's published wall times for this workload, seconds (no figure: it missed its deadline). */
const PUBLISHED: Record<number, string> = { 1000: '17.0 s', 10000: '> 180 s (missed its deadline)' };
const REJECT_RATE = 0.08;

interface Row {
  readonly transport: BrokerName;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly peakRssMb: number;
  readonly approved: number;
  readonly rejected: number;
}

const { values } = parseArgs({
  options: { rows: { type: 'string' }, transports: { type: 'string' }, json: { type: 'string' } },
  strict: true,
});
const counts = (values.rows ?? '1000,10000').split(',').map(Number);
if (counts.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error(`--rows: '${values.rows}' is not a list of counts`);
const transports = (values.transports ?? 'nats,rabbitmq').split(',').map((t) => {
  const broker = brokerNames.find((b) => b === t.trim());
  if (!broker) throw new Error(`--transports: '${t}' is not one of ${brokerNames.join(', ')}`);
  return broker;
});

const startedAt = new Date();
const loadBefore = os.loadavg()[0];
const results: Row[] = [];
for (const transport of transports)
  for (const rows of counts) {
    process.stderr.write(`csv-payments: ${rows} rows over ${transport}…\n`);
    const run = await startCsvPayments({
      rows,
      transport,
      rejectRate: REJECT_RATE,
      progress: (line) => process.stderr.write(`  ${line}\n`),
    });
    try {
      const summary = await run.finished();
      if (summary.approved + summary.rejected !== rows || summary.outputRows !== rows)
        throw new Error(`${transport} ${rows}: ${JSON.stringify(summary)}`);
      const pid = run.coordinator.child.pid;
      results.push({
        transport,
        rows,
        seconds: summary.seconds,
        rowsPerSecond: rows / summary.seconds,
        peakRssMb: pid === undefined ? Number.NaN : processResources(pid).peakRssMb,
        approved: summary.approved,
        rejected: summary.rejected,
      });
    } finally {
      await run.stop();
    }
  }

console.log(
  `\n${table(
    'csv-payments: one CSV through validate → provider await (admission 250) → branch → aggregate, SQLite',
    ['broker', 'rows', 'wall s', 'rows/s', 'peak RSS MB', 'approved / rejected', 'TPF published'],
    results.map((r) => [
      r.transport,
      num(r.rows),
      num(r.seconds, 2),
      num(r.rowsPerSecond),
      num(r.peakRssMb),
      `${r.approved} / ${r.rejected}`,
      PUBLISHED[r.rows] ?? '–',
    ]),
  )}`,
);
const file = resolve(
  values.json ??
    join(ROOT, 'bench/results', `csv-payments-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`),
);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(
  file,
  `${JSON.stringify(
    {
      version: 1,
      startedAt: startedAt.toISOString(),
      command: ['npm', 'run', 'bench:csv-payments', '--', ...process.argv.slice(2)].join(' '),
      machine: {
        cpus: os.cpus().length,
        node: process.version,
        loadAverage1mBefore: loadBefore,
        loadAverage1mAfter: os.loadavg()[0],
      },
      rejectRate: REJECT_RATE,
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`results: ${relative(process.cwd(), file)}`);
