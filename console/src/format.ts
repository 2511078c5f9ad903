/** Small display helpers shared by the pages. */

export const time = (ms: number | null | undefined): string =>
  ms == null
    ? '—'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');

/** "in 29m 12s", "3m 4s ago". */
export function relative(ms: number, now = Date.now()): string {
  const delta = Math.round((ms - now) / 1000);
  const abs = Math.abs(delta);
  const text =
    abs >= 3600
      ? `${Math.floor(abs / 3600)}h ${Math.floor((abs % 3600) / 60)}m`
      : abs >= 60
        ? `${Math.floor(abs / 60)}m ${abs % 60}s`
        : `${abs}s`;
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

export function preview(value: unknown, max = 120): string {
  if (value === undefined || value === null) return '';
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export const pretty = (value: unknown): string => JSON.stringify(value, null, 2);
