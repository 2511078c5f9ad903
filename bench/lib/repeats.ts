/**
 * `--repeats N`: a scenario's runs folded into one result of the same shape, every number the
 * median of the runs' (arrays element by element, so W3's per-concurrency rows too; strings
 * and other values from the first run), plus the same shape with [min, max] and the runs.
 */

export type Range<T> = T extends number
  ? readonly [number, number]
  : T extends readonly (infer E)[]
    ? readonly Range<E>[]
    : T extends object
      ? { readonly [K in keyof T]?: Range<T[K]> }
      : undefined;

export type Repeated<T> = T & { readonly range: Range<T>; readonly repeats: readonly T[] };

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

function fold(values: readonly unknown[], pick: (xs: number[]) => unknown): unknown {
  const first = values[0];
  if (typeof first === 'number') return pick(values.filter((v): v is number => typeof v === 'number'));
  if (Array.isArray(first))
    return first.map((_, i) =>
      fold(
        values.map((v) => (v as unknown[])[i]),
        pick,
      ),
    );
  if (first !== null && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first))
      out[key] = fold(
        values.map((v) => (v as Record<string, unknown>)[key]),
        pick,
      );
    return out;
  }
  return pick === medianPick ? first : undefined;
}

const medianPick = (xs: number[]): number => median(xs);
const rangePick = (xs: number[]): readonly [number, number] => [Math.min(...xs), Math.max(...xs)];

/** Runs `run` `count` times, one after another, and folds the results. */
export async function repeated<T extends object>(
  count: number,
  run: (i: number) => Promise<T>,
): Promise<Repeated<T>> {
  const runs: T[] = [];
  for (let i = 0; i < count; i++) runs.push(await run(i));
  return summarise(runs);
}

export function summarise<T extends object>(runs: readonly T[]): Repeated<T> {
  if (runs.length === 0) throw new Error('no runs to summarise');
  return {
    ...(fold(runs, medianPick) as T),
    range: fold(runs, rangePick) as Range<T>,
    repeats: runs,
  };
}
