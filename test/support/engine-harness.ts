import type { TestContext } from 'node:test';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  WorkerRegistry,
} from '../../src/coordinator/index.ts';
import type { Coordinator } from '../../src/coordinator/coordinator.ts';
import type { EngineConfig } from '../../src/coordinator/engine-config.ts';
import type { OutboxMessage } from '../../src/store/records.ts';
import type { Store } from '../../src/store/store-port.ts';
import type { Logger } from '../../src/runtime/logger.ts';
import { ManualTime } from '../../src/runtime/manual-time.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import type { Pipeline } from '../../src/sdk/index.ts';
import { createTestDatabase, type StoreKind, type TestDatabase } from './test-stores.ts';

export interface Engine {
  readonly coordinator: Coordinator;
  readonly store: Store;
  readonly kind: StoreKind;
  /** The database under the store: further handles, raw SQL. */
  readonly database: TestDatabase;
  readonly time: ManualTime;
  readonly dlq: OutboxMessage[];
  /** The SQLite file; undefined on PostgreSQL. */
  readonly file?: string;
  readonly releaseVersions: Map<string, string>;
}

export interface EngineOptions {
  /** The store the coordinator runs on; default SQLite. */
  readonly store?: StoreKind;
  /** The worker that hosts the pipelines; default a plain LocalWorker. */
  readonly worker?: LocalWorker;
  /** Rows written straight into the database before the coordinator starts, per store kind. */
  readonly seedSql?: { readonly sqlite: string; readonly postgres: string };
  /** Where the coordinator logs; default nowhere. */
  readonly logger?: Logger;
}

/**
 * A coordinator on a fresh store (a SQLite file or a PostgreSQL schema) with manual time:
 * nothing happens until the test calls `tick()` or advances the clock. Stopped, and the
 * store deleted, when the test ends.
 */
export async function startEngine(
  t: TestContext,
  pipelines: readonly Pipeline[],
  config: Partial<EngineConfig> = {},
  options: EngineOptions = {},
): Promise<Engine> {
  const time = new ManualTime();
  const database = await createTestDatabase(options.store ?? 'sqlite', { nowMs: () => time.now() });
  let { store } = database;
  if (options.seedSql && database.kind === 'sqlite') {
    // The open store holds the file exclusively: seed behind it, then open it again.
    await store.close();
    await database.execSql(options.seedSql.sqlite);
    store = await database.more();
  } else if (options.seedSql) await database.execSql(options.seedSql.postgres);
  const workers = new WorkerRegistry();
  const worker = options.worker ?? new LocalWorker('test-local');
  workers.add(worker);
  const dlq: OutboxMessage[] = [];
  const coordinator = createCoordinator({
    store,
    clock: time,
    timers: time,
    random: seededRandom(7),
    workers,
    ...(options.logger ? { logger: options.logger } : {}),
    // Simulated time is far from the database's clock on purpose: no skew bound.
    config: { retryDelayMs: 1000, maxClockSkewMs: Number.POSITIVE_INFINITY, ...config },
    sinks: new Map([['dlq', { deliver: (m: OutboxMessage) => Promise.resolve(void dlq.push(m)) }]]),
  });
  // One hook, in this order: the coordinator stops before its store closes and is deleted.
  t.after(async () => {
    await coordinator.stop();
    await database.dispose();
  });
  await coordinator.start();
  const hosted = await hostLocalPipelines(
    coordinator,
    worker,
    pipelines.map((pipeline) => ({ pipeline })),
    { tenantId: 'default', nowMs: time.now() },
  );
  return {
    coordinator,
    store,
    kind: database.kind,
    database,
    time,
    dlq,
    ...(database.file === undefined ? {} : { file: database.file }),
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
