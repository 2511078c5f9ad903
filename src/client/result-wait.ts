import { sleep } from './retry.ts';
import type { Answer } from './transport.ts';
import { TERMINAL_STATUSES, type ExecutionResult, type ExecutionStatusName } from './types.ts';

/** The longest one result long-poll waits on the coordinator; a longer wait polls again. */
export const SERVER_LONG_POLL_CAP_MS = 60_000;

export interface ResultOptions {
  /**
   * How long to wait in all (ms): 0 reads the result now; default: until `until` holds. A
   * wait longer than the coordinator's long-poll cap (60 s) is several polls, transparently.
   */
  readonly timeoutMs?: number;
  /**
   * settled (default): return once the execution is terminal or parked at an await step;
   * terminal: keep waiting through parks until SUCCEEDED, FAILED, DLQ or CANCELLED.
   */
  readonly until?: 'settled' | 'terminal';
  readonly signal?: AbortSignal;
}

export function isTerminalStatus(status: ExecutionStatusName): boolean {
  return TERMINAL_STATUSES.includes(status);
}

function reached(status: ExecutionStatusName, until: 'settled' | 'terminal'): boolean {
  return isTerminalStatus(status) || (until === 'settled' && status === 'WAITING_EXTERNAL');
}

/**
 * Long-polls `GET …/result` until the execution reaches `until` or the time runs out (then it
 * returns the execution as it is). Each poll asks for at most the coordinator's cap; a poll the
 * coordinator answered early without news (its long-poll gate was full) is followed by a short
 * pause, so a busy coordinator is not polled in a tight loop.
 */
export async function waitForResult<Output>(
  poll: (waitMs: number, until: 'settled' | 'terminal') => Promise<Answer<ExecutionResult<Output>>>,
  options: ResultOptions,
): Promise<ExecutionResult<Output>> {
  const until = options.until ?? 'settled';
  const deadline = Date.now() + Math.max(0, options.timeoutMs ?? Number.POSITIVE_INFINITY);
  let pause = 100;
  for (;;) {
    const remaining = deadline - Date.now();
    const waitMs = Math.max(0, Math.floor(Math.min(remaining, SERVER_LONG_POLL_CAP_MS)));
    const started = Date.now();
    const answer = await poll(waitMs, until);
    if (reached(answer.body.status.status, until) || deadline - Date.now() <= 0) return answer.body;
    // Answered well before the wait it was asked for, without news: pause before the next poll.
    if (Date.now() - started < waitMs / 2) {
      await sleep(Math.min(pause, Math.max(0, deadline - Date.now())), options.signal);
      pause = Math.min(pause * 2, 2000);
    } else pause = 100;
  }
}
