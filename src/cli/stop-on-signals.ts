import type { Logger } from '../runtime/logger.ts';

/** What a long-running command stops on a signal. */
export interface Stoppable {
  readonly logger: Logger;
  close(): Promise<void>;
}

/**
 * Closes a long-running command (`serve`, `dev`) on SIGINT or SIGTERM, then exits. Installed
 * before the command starts anything: a signal that arrives while it starts (its HTTP listener
 * may already be answering) is held and acted on as soon as start-up hands over what to close,
 * so the store is always closed cleanly instead of the process dying half-started. A second
 * signal during start-up exits at once: an operator's repeated Ctrl-C always wins.
 */
export function stopOnSignals(): { attach(target: Stoppable): void } {
  let target: Stoppable | undefined;
  let pending: string | undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (!target) {
      if (pending) process.exit(signal === 'SIGINT' ? 130 : 143);
      pending = signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    target.logger.info({ signal }, 'shutting down');
    void target.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  return {
    attach(stoppable) {
      target = stoppable;
      if (pending) shutdown(pending);
    },
  };
}
