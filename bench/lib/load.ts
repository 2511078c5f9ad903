/** Client-side load shapes and the statistics of their timings. */

/** Runs `fn(0..total-1)` with at most `concurrency` calls in flight (the anchors' `pool`). */
export async function pool(
  total: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, total) }, async () => {
    for (let i = next++; i < total; i = next++) await fn(i);
  });
  await Promise.all(lanes);
}

export interface LatencyStats {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** Nearest-rank percentiles, as the anchors compute them (lib/common.mjs `pct`). */
export function latencyStats(samples: readonly number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const pct = (p: number): number =>
    s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
  return {
    count: s.length,
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: s[s.length - 1] ?? NaN,
    meanMs: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/** Prints `[label] done/total` on stderr every `everyMs` until stopped: progress lines on long runs. */
export function progress(label: string, total: number, everyMs = 5000): { tick(): void; stop(): void } {
  let done = 0;
  const t0 = performance.now();
  const timer = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    process.stderr.write(`  [${label}] ${done}/${total} after ${s.toFixed(1)} s\n`);
  }, everyMs);
  timer.unref();
  return { tick: () => void (done += 1), stop: () => clearInterval(timer) };
}
