/**
 * Loaded into every test process by `npm test` (`--import`): when a file's tests are done,
 * whatever they left open — a timer, a pool's socket, a server, a child process — fails the
 * file, named. Closing is often asynchronous (a server's last socket, a child's exit), so
 * resources get a short grace to go away first. Standard streams are the runner's own.
 */
import './source-condition.ts';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

const GRACE_MS = 3000;
const POLL_MS = 50;
const RUNNERS_OWN = new Set(['PipeWrap', 'TTYWrap']);

const leftOpen = (): string[] => process.getActiveResourcesInfo().filter((r) => !RUNNERS_OWN.has(r));

// Only in the processes that run a test file: the runner's own holds its children open.
if (process.env.NODE_TEST_CONTEXT)
  after(async () => {
    for (let waited = 0; waited < GRACE_MS && leftOpen().length > 0; waited += POLL_MS) await sleep(POLL_MS);
    const open = leftOpen();
    if (open.length === 0) return;
    // A leaked handle would keep this process alive and stall the run: end it once reported.
    setTimeout(() => process.exit(1), 1000).unref();
    const file = process.argv[1] ?? 'this file';
    throw new Error(`the tests of ${file} left open: ${open.join(', ')} (close them in t.after)`);
  });
