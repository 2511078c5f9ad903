/**
 * `npm run example:csv-payments -- --rows <n> --transport nats|rabbitmq|sqs [--reject-rate 0.1] [--out <file>]`
 *
 * Starts what it needs on loopback, runs one CSV of n generated payments to the end, writes the
 * output CSV and prints, last, `rows=<n> approved=<a> rejected=<r> seconds=<s>`. Exits 0 only
 * when every row was approved or rejected and the output file holds n rows.
 */
import { parseArgs } from 'node:util';
import { brokerNames, startCsvPayments } from './run-csv-payments.ts';

function usage(problem: string): never {
  process.stderr.write(
    `${problem}\nusage: npm run example:csv-payments -- --rows <n> --transport ${brokerNames.join('|')} [--reject-rate <0..1>] [--out <file>] [--admission <n>] [--provider-delay <ms>] [--provider-burst <n>]\n`,
  );
  process.exit(2);
}

function count(value: string | undefined, flag: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`${flag}: '${value}' is not a whole number ≥ ${min}`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      rows: { type: 'string' },
      transport: { type: 'string' },
      'reject-rate': { type: 'string' },
      out: { type: 'string' },
      admission: { type: 'string' },
      'provider-delay': { type: 'string' },
      'provider-burst': { type: 'string' },
    },
    strict: true,
  }).values;
} catch (error) {
  usage((error as Error).message);
}
const transport = brokerNames.find((b) => b === (parsed.transport ?? 'nats'));
if (!transport) usage(`--transport: '${parsed.transport}' is not one of ${brokerNames.join(', ')}`);
const rejectRate = Number(parsed['reject-rate'] ?? '0.08');
if (!(rejectRate >= 0 && rejectRate <= 1))
  usage(`--reject-rate: '${parsed['reject-rate']}' is not from 0 to 1`);
const rows = count(parsed.rows, '--rows', 1000, 0);

const run = await startCsvPayments({
  rows,
  transport,
  rejectRate,
  ...(parsed.out ? { out: parsed.out } : {}),
  admission: count(parsed.admission, '--admission', 250),
  providerDelayMs: count(parsed['provider-delay'], '--provider-delay', 0, 0),
  ...(parsed['provider-burst']
    ? { providerBurst: count(parsed['provider-burst'], '--provider-burst', 1) }
    : {}),
  progress: (line) => process.stderr.write(`${line}\n`),
});
const stopOnSignal = () => void run.stop().then(() => process.exit(130));
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);
let ok = false;
try {
  const s = await run.finished();
  ok = s.approved + s.rejected === rows && s.outputRows === rows;
  process.stderr.write(`output ${s.out} (${s.outputRows} rows, ${s.failed} failed)\n`);
  process.stdout.write(
    `rows=${rows} approved=${s.approved} rejected=${s.rejected} seconds=${s.seconds.toFixed(2)}\n`,
  );
} catch (error) {
  process.stderr.write(`csv-payments failed: ${(error as Error).message}\n`);
  process.stderr.write(`--- coordinator (tail)\n${run.coordinator.output().slice(-4000)}\n`);
} finally {
  await run.stop();
}
process.exit(ok ? 0 : 1);
