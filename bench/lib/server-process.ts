/**
 * `capstan serve` as a real process, as an operator runs it: the HTTP scenarios measure the
 * server a user deploys (its HTTP stack, its process), and its memory is its own, not the client's.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { coordinatorNodeFlags, processResources, type ProcessResources } from './process-resources.ts';
import type { StoreTarget } from './store-target.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const OPERATOR_TOKEN = 'bench-operator-token-0123456789';

export interface ServerProcess {
  readonly baseUrl: string;
  readonly pid: number;
  resources(): ProcessResources;
  /** SIGTERM (a graceful stop), SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

export async function startServer(target: StoreTarget, pipelines: readonly string[]): Promise<ServerProcess> {
  const sets = Object.entries(target.settings).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
  const args = [
    ...coordinatorNodeFlags(),
    join(ROOT, 'bin/capstan.mjs'),
    'serve',
    ...['--port', '0', '--host', '127.0.0.1', '--data-dir', target.dataDir],
    ...['--pipelines', ...pipelines.map((p) => join(ROOT, p))],
    ...sets,
  ];
  // The machine's own Capstan configuration must not leak into the run.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PIPELINE_|CAPSTAN_|PORT$)/.test(name)),
  );
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...env,
      BENCH_OPERATOR_TOKEN: OPERATOR_TOKEN,
      PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: 'env:BENCH_OPERATOR_TOKEN',
      PIPELINE_ORCHESTRATOR_ADMIN_ADMIN_TOKEN_REF: 'env:BENCH_OPERATOR_TOKEN',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Read everything it prints for its whole life: a full pipe would block the server.
  let out = '';
  const keep = (chunk: Buffer): void => void (out = (out + chunk.toString()).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const baseUrl = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`capstan serve did not start in 60 s:\n${out}`)), 60_000);
    const check = (): void => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        done(match[1]);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`capstan serve exited with ${String(code)}:\n${out}`));
    });
  });
  const pid = child.pid as number;
  return {
    baseUrl,
    pid,
    resources: () => processResources(pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
