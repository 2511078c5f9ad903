/**
 * A coordinator built as `capstan serve` builds it (same configuration loading, store, engine
 * settings, worker setup), without the HTTP server, for the processes that drive one in-process
 * (W1, W4, the scale template). Its workers are the local in-process one, or, when the settings
 * name REST workers (`worker.rest.base-url`, `require-remote-worker=true`), those alone.
 */
import { resolve } from 'node:path';
import { remoteWorkerSetup } from '../../src/config/remote-workers.ts';
import { engineConfigOf } from '../../src/config/engine-settings.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  WorkerRegistry,
  type Coordinator,
} from '../../src/coordinator/index.ts';
import type { Pipeline } from '../../src/sdk/define-pipeline.ts';
import { openStore, type OpenedStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store-port.ts';

export const TENANT = 'default';

export interface CoordinatorSpec {
  readonly dataDir: string;
  /** Configuration keys, as `serve --set` takes them. */
  readonly settings: Readonly<Record<string, string>>;
  /** What the settings' `env:` secret refs resolve against (the REST worker secret). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface InProcessCoordinator {
  readonly coordinator: Coordinator;
  readonly store: OpenedStore;
  /** Waits until a worker hosts the active release of every pipeline (REST workers are probed first). */
  ready(pipelineIds: readonly string[], timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startInProcessCoordinator(
  spec: CoordinatorSpec,
  pipelines: readonly { pipeline: Pipeline; sourceFile: string }[],
  wrapStore: (store: OpenedStore) => Store = (store) => store,
): Promise<InProcessCoordinator> {
  const env = { ...spec.env };
  const { values } = loadConfig({ env, flags: { ...spec.settings, 'capstan.data-dir': spec.dataDir } });
  const store = await openStore(values, { dataDir: resolve(spec.dataDir), env });
  const { restWorkers, hostLocally } = remoteWorkerSetup(values, env);
  const workers = new WorkerRegistry();
  const local = hostLocally ? new LocalWorker('bench/local') : undefined;
  if (local) workers.add(local);
  const coordinator = createCoordinator({
    store: wrapStore(store),
    workers,
    config: engineConfigOf(values, 'bench'),
    ...(restWorkers ? { restWorkers } : {}),
  });
  await coordinator.start({ migrate: true });
  await hostLocalPipelines(coordinator, local, pipelines, { tenantId: TENANT, nowMs: Date.now() });
  coordinator.wake();

  const ready = async (pipelineIds: readonly string[], timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const releases = await Promise.all(pipelineIds.map((id) => coordinator.catalog.active(TENANT, id)));
      if (
        releases.every(
          (r) =>
            r &&
            workers.has({ tenantId: TENANT, pipelineId: r.pipelineId, releaseVersion: r.releaseVersion }),
        )
      )
        return;
      if (Date.now() > deadline) throw new Error(`no worker hosts ${pipelineIds.join(', ')}`);
      coordinator.wake();
      await new Promise((done) => setTimeout(done, 100));
    }
  };
  return {
    coordinator,
    store,
    ready,
    stop: async () => {
      await coordinator.stop();
      await store.close();
    },
  };
}
