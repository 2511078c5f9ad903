import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** A process started in its own process group (by a test or an example runner), with everything it prints captured. */
export interface SpawnedProcess {
  readonly child: ChildProcess;
  /** Everything the process printed so far, stdout and stderr interleaved. */
  readonly output: () => string;
  /** What it printed on stdout alone (log records; banners go to stderr). */
  readonly stdout: () => string;
  /** Resolves with the exit code (null when killed by a signal) once its output is complete. */
  readonly exited: Promise<number | null>;
  /** Signals the process group (so what `npm` started goes too) and resolves with the exit code. */
  readonly kill: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** Resolves once the output matches `pattern`; rejects if the process exits first or in 30 s. */
  readonly waitFor: (pattern: RegExp, what: string) => Promise<RegExpExecArray>;
}

const START_TIMEOUT_MS = 30_000;

export function spawnProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): SpawnedProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  // 'close', not 'exit': it comes once the output pipes are closed, which they are only when every
  // process holding them is gone. Behind `npm start` the node process may outlive npm for a moment,
  // and what it prints last (its shutdown line) must be in `output()` by then.
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('close', (code) => resolveExit(code)),
  );
  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(-child.pid, signal);
    }
    return exited;
  };
  const waitFor = (pattern: RegExp, what: string): Promise<RegExpExecArray> =>
    new Promise((resolveMatch, reject) => {
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${what} did not start:\n${out}`));
      }, START_TIMEOUT_MS);
      const check = (): void => {
        const match = pattern.exec(out);
        if (match) {
          finish();
          resolveMatch(match);
        }
      };
      const onExit = (code: number | null): void => {
        finish();
        reject(new Error(`${what} exited with ${String(code)}:\n${out}`));
      };
      const finish = (): void => {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        child.off('exit', onExit);
      };
      // Banners are on stderr, log records on stdout: either may carry what is waited for.
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.once('exit', onExit);
      check();
    });
  return { child, output: () => out, stdout: () => stdout, exited, kill, waitFor };
}
