import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  SqliteStore,
  WorkerRegistry,
} from '../../src/coordinator/index.ts';
import type { Coordinator } from '../../src/coordinator/coordinator.ts';
import type { EngineConfig } from '../../src/coordinator/engine-config.ts';
import type { OutboxMessage } from '../../src/store/records.ts';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import type { Pipeline } from '../../src/sdk/index.ts';

export interface Engine {
  readonly coordinator: Coordinator;
  readonly store: SqliteStore;
  readonly time: ManualTime;
  readonly dlq: OutboxMessage[];
  readonly file: string;
  readonly releaseVersions: Map<string, string>;
}

/**
 * A coordinator on a fresh SQLite file with manual time: nothing happens until the test
 * calls `tick()` or advances the clock. Closed and deleted when the test ends.
 */
export async function startEngine(
  t: TestContext,
  pipelines: readonly Pipeline[],
  config: Partial<EngineConfig> = {},
): Promise<Engine> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-engine-'));
  const file = join(dir, 'capstan.db');
  const time = new ManualTime();
  const store = new SqliteStore({ file, nowMs: () => time.now() });
  const workers = new WorkerRegistry();
  const worker = new LocalWorker('test-local');
  workers.add(worker);
  const dlq: OutboxMessage[] = [];
  const coordinator = createCoordinator({
    store,
    clock: time,
    timers: time,
    random: seededRandom(7),
    workers,
    config: { retryDelayMs: 1000, ...config },
    sinks: new Map([['dlq', { deliver: (m: OutboxMessage) => Promise.resolve(void dlq.push(m)) }]]),
  });
  await coordinator.start();
  const hosted = await hostLocalPipelines(
    coordinator,
    worker,
    pipelines.map((pipeline) => ({ pipeline })),
    { tenantId: 'default', nowMs: time.now() },
  );
  t.after(async () => {
    await coordinator.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    coordinator,
    store,
    time,
    dlq,
    file,
    releaseVersions: new Map(hosted.map((h) => [h.pipelineId, h.releaseVersion])),
  };
}

export const order = (overrides: Record<string, unknown> = {}) => ({
  requestId: '0b6d3c52-8f0e-4a8e-9d6b-3f1f2b3c4d5e',
  customerName: 'Ada Lovelace',
  restaurantName: 'Cafe Capstan',
  items: '2x pasta',
  totalAmount: '27.50',
  currency: 'EUR',
  ...overrides,
});
