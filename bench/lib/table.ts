/** Markdown tables for the benchmark's output, and how a repeated figure reads in a cell. */

export const num = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '–'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The median, and "(min–max)" after it when the repeats differ at the shown precision. */
export function cell(
  x: number | undefined,
  range: readonly [number, number] | undefined,
  digits = 0,
): string {
  if (!range) return num(x, digits);
  const [lo, hi] = [num(range[0], digits), num(range[1], digits)];
  return lo === hi ? num(x, digits) : `${num(x, digits)} (${lo}–${hi})`;
}

export function table(title: string, head: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [title, '', line(head), line(head.map(() => '---')), ...rows.map(line), ''].join('\n');
}
