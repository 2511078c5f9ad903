/**
 * The CSV files of the csv-payments example: reading payments row by row (a file of any size
 * is never held whole), writing the outcome file atomically, and generating an input file.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';

/** One row of an input file. */
export const PaymentRecord = z.object({
  csvId: z.string().min(1),
  recipient: z.string().min(1),
  amount: z.string().regex(/^\d+(\.\d{1,2})?$/, 'a decimal amount with at most 2 decimals'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code'),
});
export type PaymentRecord = z.infer<typeof PaymentRecord>;

export const INPUT_COLUMNS = ['csvId', 'recipient', 'amount', 'currency'] as const;
export const OUTPUT_COLUMNS = [
  'csvId',
  'recipient',
  'amount',
  'currency',
  'status',
  'providerReference',
  'reason',
] as const;
export type OutputRow = Record<(typeof OUTPUT_COLUMNS)[number], string>;

/** The rows of a CSV file with a header line, as records keyed by column, one at a time. */
export async function* readRows(file: string): AsyncGenerator<Record<string, string>> {
  const parser = createReadStream(file).pipe(parse({ columns: true, skip_empty_lines: true, trim: true }));
  for await (const row of parser) yield row as Record<string, string>;
}

/**
 * Writes `rows` under a header to `file` as one step: into a temporary file beside it, flushed
 * to disk, then renamed over `file`. A reader never sees half a file, and a write repeated after
 * a crash replaces the first one whole.
 */
export async function writeCsvAtomically(file: string, rows: readonly OutputRow[]): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(stringify([...rows], { header: true, columns: [...OUTPUT_COLUMNS] }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  // The rename itself is durable once the directory is flushed.
  const directory = await open(dirname(file), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Writes `count` generated payments to `file`. */
export async function generatePayments(file: string, count: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    const batch = 1000;
    await handle.write(stringify([], { header: true, columns: [...INPUT_COLUMNS] }));
    for (let start = 0; start < count; start += batch) {
      const rows = Array.from({ length: Math.min(batch, count - start) }, (_, i) => ({
        csvId: `${start + i + 1}`,
        recipient: `Recipient ${randomUUID().slice(0, 8)}, Ltd`,
        amount: `${1 + ((start + i) % 997)}.${String((start + i) % 100).padStart(2, '0')}`,
        currency: ['EUR', 'USD', 'GBP'][(start + i) % 3] ?? 'EUR',
      }));
      await handle.write(stringify(rows, { columns: [...INPUT_COLUMNS] }));
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}
