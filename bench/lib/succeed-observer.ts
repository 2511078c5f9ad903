/**
 * Sees each SUCCEEDED commit (`succeed`, or `commitSegment` with a succeed outcome) as it
 * happens, at the store port, so W1 needs no reads to know when an execution is done: the
 * anchors learn it the same way (an in-memory promise in DBOS, a waiter resolved by the last
 * handler in pg-boss). Both resolve only after their COMMIT, with true when the guarded update
 * won. Everything else passes straight through to the store.
 */
import type { Store } from '../../src/store/store-port.ts';

export function observeSucceeded<S extends Store>(store: S, onSucceeded: (executionId: string) => void): S {
  const succeed: Store['succeed'] = async (command) => {
    const won = await store.succeed(command);
    if (won) onSucceeded(command.executionId);
    return won;
  };
  // The dispatcher ends a segment with `commitSegment`; its succeed outcome is the same commit.
  const commitSegment: Store['commitSegment'] = async (command) => {
    const won = await store.commitSegment(command);
    if (won && command.outcome.kind === 'succeed') onSucceeded(command.executionId);
    return won;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'succeed') return succeed;
      if (property === 'commitSegment') return commitSegment;
      // The stores keep their state in private fields: methods must run on the store itself.
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
