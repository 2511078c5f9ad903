const ISO_DURATION =
  /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/**
 * Parses an ISO-8601 duration of days, hours, minutes and seconds (`PT30M`, `PT0.5S`, `P1DT2H`)
 * into milliseconds. Years, months and weeks are refused: their length in ms is ambiguous.
 * Returns undefined when the text is not such a duration.
 */
export function parseIsoDuration(text: string): number | undefined {
  const match = ISO_DURATION.exec(text.trim());
  if (!match || text.trim().toUpperCase() === 'P' || text.trim().toUpperCase().endsWith('T'))
    return undefined;
  const [, days, hours, minutes, seconds] = match;
  const ms =
    Number(days ?? 0) * 86_400_000 +
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Number(seconds ?? 0) * 1000;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** A duration given as milliseconds or as ISO-8601 text. */
export type Duration = number | string;

export function durationToMs(value: Duration, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${what}: ${value} is not a duration in ms`);
    return value;
  }
  const ms = parseIsoDuration(value);
  if (ms === undefined) throw new Error(`${what}: '${value}' is not an ISO-8601 duration such as PT30M`);
  return ms;
}

/** Milliseconds as an ISO-8601 duration of days, hours, minutes and seconds (`PT10M`, `P1DT2H`, `PT0.5S`). */
export function formatIsoDuration(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const hours = Math.floor((ms % 86_400_000) / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
