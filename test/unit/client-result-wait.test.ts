import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVER_LONG_POLL_CAP_MS, waitForResult } from '../../src/client/result-wait.ts';
import type { ExecutionResult, ExecutionStatusName } from '../../src/client/types.ts';

// How `client.result` turns one wait into long-polls: never more than the coordinator's cap per
// poll, polled again until the execution reaches what was asked or the time runs out.

/** A coordinator's answers in turn (the last one repeats), and the polls it was asked for. */
function answers(...statuses: ExecutionStatusName[]) {
  const polls: { waitMs: number; until: string }[] = [];
  const poll = async (waitMs: number, until: 'settled' | 'terminal') => {
    polls.push({ waitMs, until });
    const status = statuses[Math.min(polls.length, statuses.length) - 1] ?? 'RUNNING';
    const body = {
      status: { status },
      result: status === 'SUCCEEDED' ? 42 : null,
    } as ExecutionResult<number>;
    return { status: 200, body, headers: new Headers() };
  };
  return { poll, polls };
}

test('a wait longer than the cap is several polls, none asking for more than the cap', async () => {
  const { poll, polls } = answers('RUNNING', 'RUNNING', 'SUCCEEDED');
  const r = await waitForResult(poll, { timeoutMs: 150_000 });
  assert.equal(r.result, 42);
  assert.equal(polls.length, 3, 're-issued until it ended');
  assert.equal(polls[0]?.waitMs, SERVER_LONG_POLL_CAP_MS);
  for (const p of polls)
    assert.ok(p.waitMs <= SERVER_LONG_POLL_CAP_MS && p.waitMs > 60_000 - 5_000, String(p.waitMs));
});

test('settled stops at a park; terminal waits through it, and asks the coordinator to', async () => {
  const settled = answers('WAITING_EXTERNAL', 'SUCCEEDED');
  assert.equal((await waitForResult(settled.poll, {})).status.status, 'WAITING_EXTERNAL');
  assert.equal(settled.polls[0]?.until, 'settled');

  const terminal = answers('WAITING_EXTERNAL', 'WAITING_EXTERNAL', 'DLQ');
  assert.equal((await waitForResult(terminal.poll, { until: 'terminal' })).status.status, 'DLQ');
  assert.deepEqual(
    terminal.polls.map((p) => p.until),
    ['terminal', 'terminal', 'terminal'],
  );
});

test('timeoutMs 0 reads once; a wait that runs out returns the execution as it is', async () => {
  const once = answers('RUNNING');
  assert.equal((await waitForResult(once.poll, { timeoutMs: 0 })).status.status, 'RUNNING');
  assert.deepEqual(once.polls, [{ waitMs: 0, until: 'settled' }]);

  const started = Date.now();
  const running = answers('RUNNING');
  assert.equal((await waitForResult(running.poll, { timeoutMs: 400 })).status.status, 'RUNNING');
  assert.ok(Date.now() - started < 3000, 'it stops when the time is up');
  assert.ok(
    running.polls.length < 10,
    `early answers are paced, not a tight loop (${running.polls.length} polls)`,
  );
});
