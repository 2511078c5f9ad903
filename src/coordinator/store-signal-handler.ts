import type { ReleaseCatalog } from '../releases/release-catalog.ts';
import type { Logger } from '../runtime/logger.ts';
import type { StoreSignal } from '../store/store-port.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { ExecutionWatch } from './execution-watch.ts';
import type { PullWakeups } from './pull-wakeups.ts';

/** What a node updates when another node's commit reaches it as a store signal. */
export interface SignalTargets {
  readonly dispatcher: Dispatcher;
  readonly pullWakeups: PullWakeups;
  readonly watch: ExecutionWatch;
  readonly catalog: ReleaseCatalog;
  readonly logger: Logger;
  readonly syncWorkerAvailability: (only: { tenantId: string; pipelineId: string }) => Promise<void>;
  /** Everything may have changed while the signals were cut off: wake all work. */
  readonly wakeAll: () => void;
}

/** Acts on one signal from the store (another node's commit, or a reconnection). */
export function handleStoreSignal(signal: StoreSignal, t: SignalTargets): void {
  switch (signal.kind) {
    case 'due':
      t.dispatcher.wake();
      t.pullWakeups.wake('notify');
      return;
    case 'changed':
      for (const id of signal.executionIds) t.watch.changed(id);
      // A cancel on another node fences out a segment running here: stop it now, not when it ends.
      void t.dispatcher
        .abortIfFenced(signal.executionIds)
        .catch((error: unknown) => t.logger.warn({ err: error }, 'could not check running segments'));
      return;
    case 'release':
      t.catalog.invalidate(signal.tenantId, signal.pipelineId);
      return;
    case 'workers':
      void t
        .syncWorkerAvailability(signal)
        .catch((error: unknown) => t.logger.warn({ err: error }, 'worker availability sync failed'));
      return;
    case 'resync':
      t.catalog.invalidateAll();
      t.watch.releaseAll();
      t.wakeAll();
      return;
  }
}
