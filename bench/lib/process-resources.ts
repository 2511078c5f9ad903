/** Peak memory and CPU time of another process, from /proc (Linux), read while it still runs. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessResources {
  /** VmHWM: the kernel's high-water mark of the resident set since the process started. */
  readonly peakRssMb: number;
  /** User + system CPU seconds since the process started. */
  readonly cpuS: number;
}

let ticksPerSecond: number | undefined;

export function processResources(pid: number): ProcessResources {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwmKb = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRssMb: hwmKb / 1024, cpuS: ticks / ticksPerSecond };
}

/**
 * The same figures for this process (the in-process W1 coordinator). Not `resourceUsage().maxRSS`:
 * Linux carries the high-water mark of the forked parent's memory across exec into it, so a W1
 * process started by a benchmark that had just seeded a million rows (a 1 GiB page cache)
 * reported the benchmark's 405 MB as its own. VmHWM belongs to this process's memory alone.
 */
export function ownResources(): ProcessResources {
  const u = process.resourceUsage();
  return {
    peakRssMb: processResources(process.pid).peakRssMb,
    cpuS: (u.userCPUTime + u.systemCPUTime) / 1e6,
  };
}

/**
 * Extra Node flags for every coordinator process the benchmark starts, e.g.
 * CAPSTAN_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where a scenario's time goes.
 */
export function coordinatorNodeFlags(): string[] {
  return (process.env.CAPSTAN_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}
