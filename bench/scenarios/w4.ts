/**
 * W4: W1 with its segments on a REST worker in a separate process. `capstan worker` serves the
 * signed REST worker protocol on loopback; the W1 coordinator process runs nothing itself
 * (`require-remote-worker=true`), lists the worker in `worker.rest.base-url`, probes it, and
 * dispatches every segment to it. Timed as W1; the worker's peak RSS and CPU are read from /proc.
 */
import type { ProcessResources } from '../lib/process-resources.ts';
import type { NodeRuntime } from '../lib/runtime.ts';
import type { StoreTarget } from '../lib/store-target.ts';
import { remoteWorkerSettings, startWorker } from '../lib/worker-process.ts';
import { runW1, type W1Result } from './w1.ts';

export interface W4Result extends W1Result {
  /** The worker process: peak RSS since it started, CPU over the whole W1 run (start-up excluded). */
  readonly worker: ProcessResources;
}

export async function runW4(runtime: NodeRuntime, target: StoreTarget, n: number): Promise<W4Result> {
  const worker = await startWorker(runtime, ['bench/pipelines/three-steps.ts']);
  try {
    const cpu0 = worker.resources().cpuS;
    const w1 = await runW1(runtime, target, n, remoteWorkerSettings(worker));
    const after = worker.resources();
    return { ...w1, worker: { peakRssMb: after.peakRssMb, cpuS: after.cpuS - cpu0 } };
  } finally {
    await worker.stop();
  }
}
