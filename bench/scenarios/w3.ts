/**
 * W3: closed-loop latency over HTTP, submit → SUCCEEDED, at concurrency 10 then 1 (the anchors'
 * lat10 and lat1 runs: 200 and 100 executions). Each client submits, then waits with the result
 * long-poll; a sleep loop would add its own interval to every sample. A short warm-up (not
 * measured; the anchors have none) keeps JIT compilation out of the first samples.
 */
import { apiClient, settledResult, type ApiClient } from '../lib/api-client.ts';
import { latencyStats, pool, type LatencyStats } from '../lib/load.ts';
import type { NodeRuntime } from '../lib/runtime.ts';
import { startServer } from '../lib/server-process.ts';
import type { StoreTarget } from '../lib/store-target.ts';
import { expectedZ, THREE_STEPS_ID } from '../pipelines/three-steps.ts';

const WARM_UP = 20;

export interface W3Run extends LatencyStats {
  readonly concurrency: number;
  readonly executionsPerS: number;
}

export interface W3Result {
  readonly runs: readonly W3Run[];
  readonly warmUp: number;
  readonly coordinator: { mode: string; peakRssMb: number; cpuS: number };
}

async function closedLoop(api: ApiClient, label: string, count: number, concurrency: number): Promise<W3Run> {
  const samples: number[] = [];
  const t0 = performance.now();
  await pool(count, concurrency, async (i) => {
    const start = performance.now();
    const { executionId } = await api.submit(THREE_STEPS_ID, { i }, `w3-${label}-${i}`);
    const r = await settledResult(api, executionId);
    samples.push(performance.now() - start);
    if (r.status.status !== 'SUCCEEDED' || (r.result as { z?: unknown }).z !== expectedZ(i))
      throw new Error(`execution ${i} ended ${r.status.status}`);
  });
  const wallMs = performance.now() - t0;
  return { concurrency, ...latencyStats(samples), executionsPerS: count / (wallMs / 1000) };
}

export async function runW3(runtime: NodeRuntime, target: StoreTarget, n: number): Promise<W3Result> {
  const server = await startServer(runtime, target, ['bench/pipelines/three-steps.ts']);
  const api = apiClient(server.baseUrl);
  try {
    await closedLoop(api, 'warm', Math.min(WARM_UP, n), 10);
    const cpu0 = server.resources().cpuS;
    const runs = [
      await closedLoop(api, 'c10', Math.min(200, n), 10),
      await closedLoop(api, 'c1', Math.min(100, n), 1),
    ];
    const resources = server.resources();
    return {
      runs,
      warmUp: Math.min(WARM_UP, n),
      coordinator: { mode: 'process', peakRssMb: resources.peakRssMb, cpuS: resources.cpuS - cpu0 },
    };
  } finally {
    api.close();
    await server.stop();
  }
}
