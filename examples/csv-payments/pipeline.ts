/**
 * csv-payments: a CSV file of payments in, one payment request per row to a provider over a
 * broker, an approved / rejected branch per row, and one output file written before the
 * execution succeeds.
 *
 * `read-rows` expands the file into items, one per row; each item runs `validate`, `provider`
 * and `branch` as its own durable execution (retries, DLQ, re-drive), and `write-output` runs
 * once, after every item ended, with their outcomes in row order. At most `admission` requests
 * are outstanding at the provider at once; the rest wait their turn durably.
 *
 * The broker is the await step's transport: `CSV_PAYMENTS_TRANSPORT` (nats, rabbitmq or sqs;
 * default nats) when the module loads, and the coordinator must enable it
 * (`capstan.awaits.transports.<broker>.enabled`). `npm run example:csv-payments` does all of it.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { definePipeline, NonRetryableError } from 'capstan/sdk';
import { PaymentRecord, readRows, writeCsvAtomically, type OutputRow } from './payments-csv.ts';

const CsvFile = z.object({
  /** The input file. */
  file: z.string().min(1),
  /** Where the outcome file goes; default `<file>.out`. */
  out: z.string().min(1).optional(),
});
const CsvJob = z.object({ file: z.string(), out: z.string() });
const ProviderAnswer = z.object({
  status: z.enum(['APPROVED', 'REJECTED']),
  providerReference: z.string(),
  reason: z.string().optional(),
});
const PaymentOutcome = PaymentRecord.extend(ProviderAnswer.shape);
const Summary = z.object({
  out: z.string(),
  rows: z.number().int(),
  approved: z.number().int(),
  rejected: z.number().int(),
  failed: z.number().int(),
});

const transport = process.env.CSV_PAYMENTS_TRANSPORT ?? 'nats';
/** Provider requests outstanding at once (the provider's own rate limit, in a real deployment). */
const admission = Number(process.env.CSV_PAYMENTS_ADMISSION ?? 250);

export default definePipeline({
  id: 'csv-payments',
  input: CsvFile,
  description: 'Pays every row of a CSV file through a provider, then writes the outcome file.',
})
  .step('locate', {
    output: CsvJob,
    run: ({ file, out }) => ({ file: resolve(file), out: resolve(out ?? `${file}.out`) }),
  })
  .expand('read-rows', {
    // Any row: a malformed one fails its own item in `validate`, not the whole file.
    item: z.record(z.string(), z.string()),
    run: async function* ({ file }) {
      yield* readRows(file);
    },
  })
  .step('validate', {
    output: PaymentRecord,
    dlq: false,
    run: (row) => {
      const checked = PaymentRecord.safeParse(row);
      if (!checked.success)
        throw new NonRetryableError(`row ${row.csvId ?? '?'}: ${z.prettifyError(checked.error)}`, {
          code: 'invalid_payment',
        });
      if (Number(checked.data.amount) <= 0)
        throw new NonRetryableError(`row ${checked.data.csvId}: the amount must be positive`, {
          code: 'invalid_payment',
        });
      return checked.data;
    },
  })
  .await('provider', {
    transport,
    admission,
    deadline: 'PT5M',
    response: ProviderAnswer,
    request: (row) => ({
      paymentId: row.csvId,
      recipient: row.recipient,
      amount: row.amount,
      currency: row.currency,
    }),
  })
  .step('branch', {
    output: PaymentOutcome,
    run: async (answer, ctx) => {
      const row = PaymentRecord.parse(await ctx.outputOf('validate'));
      return { ...row, ...answer };
    },
  })
  .aggregate('write-output', {
    output: Summary,
    run: async (items, ctx) => {
      const job = CsvJob.parse(await ctx.outputOf('locate'));
      // The input file again, for the rows whose item ended without an output.
      const rows: OutputRow[] = [];
      let index = 0;
      for await (const record of readRows(job.file)) {
        const item = items[index++];
        if (item?.status === 'SUCCEEDED') rows.push({ ...item.output, reason: item.output.reason ?? '' });
        else
          rows.push({
            csvId: record.csvId ?? '',
            recipient: record.recipient ?? '',
            amount: record.amount ?? '',
            currency: record.currency ?? '',
            status: 'FAILED',
            providerReference: '',
            reason: item ? `${item.errorCode}: ${item.errorMessage}` : 'no item',
          });
      }
      await writeCsvAtomically(job.out, rows);
      const count = (status: string) => rows.filter((r) => r.status === status).length;
      return {
        out: job.out,
        rows: rows.length,
        approved: count('APPROVED'),
        rejected: count('REJECTED'),
        failed: count('FAILED'),
      };
    },
  });
