import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from './session.ts';

/** How often a page refreshes what it shows: the console's live updates. */
export const POLL_MS = 1500;

export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly refresh: () => void;
}

/** Loads `load()` now, again every POLL_MS and whenever `deps` change; the newest answer wins. */
export function usePoll<T>(load: () => Promise<T>, deps: readonly unknown[]): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const generation = useRef(0);
  const run = useCallback(load, deps);
  const refresh = useCallback(() => {
    const mine = ++generation.current;
    run().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
      },
      (e: unknown) => {
        if (mine === generation.current) setError(messageOf(e));
      },
    );
  }, [run]);
  useEffect(() => {
    setData(undefined);
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => {
      clearInterval(timer);
      generation.current++;
    };
  }, [refresh]);
  return { data, error, refresh };
}
