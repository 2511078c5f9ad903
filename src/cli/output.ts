import type { Command } from 'commander';

/** Adds `--json`: print the API's response as pretty JSON, unchanged, instead of a table. */
export function withJsonOption(command: Command): Command {
  return command.option('--json', 'print the API response as JSON (unchanged) instead of a table');
}

/** How one column reads a row. */
export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => unknown;
  /** Cut longer cells to this many characters (e.g. a JSON payload); never by default. */
  readonly max?: number;
}

/** An epoch-millisecond timestamp as ISO 8601 (UTC); `-` when absent. */
export function time(ms: unknown): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

/** A value as one table cell: `-` for null, compact JSON for objects, on one line, cut to `max` characters. */
export function cell(value: unknown, max = Number.POSITIVE_INFINITY): string {
  let text: string;
  if (value === null || value === undefined || value === '') text = '-';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    text = String(value);
  else text = JSON.stringify(value) ?? '-';
  text = text.replace(/\s*\n\s*/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Rows as aligned columns under upper-case headers (no trailing spaces); a note when there are none. */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  if (rows.length === 0) return '(none)';
  const lines = [
    columns.map((c) => c.header.toUpperCase()),
    ...rows.map((row) => columns.map((c) => cell(c.value(row), c.max))),
  ];
  const widths = columns.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? '').length)));
  return lines
    .map((line) =>
      line
        .map((text, i) => text.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One object as `label  value` lines, labels aligned. */
export function renderFields(fields: readonly (readonly [label: string, value: unknown])[]): string {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${cell(value)}`).join('\n');
}

/** Prints the response as JSON with `--json`, otherwise the human rendering. */
export function print(options: { json?: boolean }, response: unknown, human: () => string): void {
  console.log(options.json ? JSON.stringify(response, null, 2) : human());
}
