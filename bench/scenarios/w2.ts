/**
 * W2: N executions park at an await; then a client answers them through the HTTP API the way an
 * inbox client does (read a page of pending interactions, complete each, wait for the execution's
 * result), 64 requests in flight, as the anchors send their signals. Timed from the first inbox
 * read to the last execution confirmed SUCCEEDED; parking is timed separately.
 */
import { apiClient, settledResult } from '../lib/api-client.ts';
import { pool, progress } from '../lib/load.ts';
import type { NodeRuntime } from '../lib/runtime.ts';
import { startServer } from '../lib/server-process.ts';
import type { StoreTarget } from '../lib/store-target.ts';
import { AWAIT_APPROVAL_ID } from '../pipelines/await-approval.ts';

const CLIENTS = 64;
/** The most the pending endpoint returns at once. */
const PAGE = 1000;

export interface W2Result {
  readonly n: number;
  /** Submit → every execution parked (WAITING_EXTERNAL). */
  readonly parkMs: number;
  readonly parkedPerS: number;
  /** First inbox read → last execution SUCCEEDED. */
  readonly wallMs: number;
  readonly completionsPerS: number;
  /** Of wallMs, the time spent in `GET /interactions/pending`. */
  readonly pendingListMs: number;
  readonly coordinator: { mode: string; peakRssMb: number; cpuS: number };
}

export async function runW2(runtime: NodeRuntime, target: StoreTarget, n: number): Promise<W2Result> {
  const server = await startServer(runtime, target, ['bench/pipelines/await-approval.ts']);
  const api = apiClient(server.baseUrl);
  try {
    const parking = progress('w2 parked', n);
    const t0 = performance.now();
    await pool(n, CLIENTS, async (i) => {
      const { executionId } = await api.submit(AWAIT_APPROVAL_ID, { i }, `w2-${i}`);
      const r = await settledResult(api, executionId);
      if (r.status.status !== 'WAITING_EXTERNAL')
        throw new Error(`execution ${i} is ${r.status.status}, not parked`);
      parking.tick();
    });
    const parkMs = performance.now() - t0;
    parking.stop();

    const cpu0 = server.resources().cpuS;
    const completing = progress('w2 completed', n);
    let completed = 0;
    let pendingListMs = 0;
    const t1 = performance.now();
    for (;;) {
      const tList = performance.now();
      const page = await api.pending('bench', PAGE);
      pendingListMs += performance.now() - tList;
      if (page.length === 0) break;
      await pool(page.length, CLIENTS, async (k) => {
        const interaction = page[k];
        if (!interaction) return;
        await api.complete(interaction.interactionId, { ok: true });
        const r = await settledResult(api, interaction.executionId);
        if (r.status.status !== 'SUCCEEDED' || (r.result as { approved?: unknown }).approved !== true)
          throw new Error(`execution ${interaction.executionId} ended ${r.status.status}`);
        completed += 1;
        completing.tick();
      });
    }
    const wallMs = performance.now() - t1;
    completing.stop();
    if (completed !== n) throw new Error(`completed ${completed} of ${n} interactions`);
    const resources = server.resources();
    return {
      n,
      parkMs,
      parkedPerS: n / (parkMs / 1000),
      wallMs,
      completionsPerS: n / (wallMs / 1000),
      pendingListMs,
      coordinator: { mode: 'process', peakRssMb: resources.peakRssMb, cpuS: resources.cpuS - cpu0 },
    };
  } finally {
    api.close();
    await server.stop();
  }
}
