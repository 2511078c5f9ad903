import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { spawnProcess } from './spawned-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface CoordinatorProcess {
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** What it printed on stdout alone: its log records. */
  stdout(): string;
  /** Signals the process group and resolves with the exit code (null when killed by a signal). */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export const OPERATOR_TOKEN = 'test-operator-token-0123456789';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * Starts a coordinator as a real process on a free loopback port and waits for its banner:
 * `capstan serve` with tokens from env: refs, as an operator configures it, or (`npmStart`)
 * `npm start -- …` exactly as the quick start runs it, with generated tokens.
 */
export async function startCoordinatorProcess(
  t: TestContext,
  options: {
    /** Default: the restaurant example; none starts a coordinator with no pipelines of its own. */
    pipelines?: string[];
    env?: Record<string, string>;
    dataDir?: string;
    keepDataDir?: boolean;
    npmStart?: boolean;
    /** True starts it without `--host`, on the address it binds by default. */
    defaultHost?: boolean;
    /** A fixed port (default: any free one), e.g. to restart a coordinator where clients expect it. */
    port?: number;
  } = {},
): Promise<CoordinatorProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'capstan-e2e-'));
  const pipelines = options.pipelines ?? [join(ROOT, 'examples/restaurant-approval/pipeline.ts')];
  const network = [
    '--port',
    String(options.port ?? 0),
    ...(options.defaultHost ? [] : ['--host', '127.0.0.1']),
    '--data-dir',
    dataDir,
  ];
  const [command, args] = options.npmStart
    ? ['npm', ['start', '--', ...network]]
    : [
        process.execPath,
        [
          join(ROOT, 'bin/capstan.mjs'),
          'serve',
          ...network,
          ...(pipelines.length > 0 ? ['--pipelines', ...pipelines] : []),
        ],
      ];
  const tokenRefs = options.npmStart
    ? {}
    : {
        TEST_OPERATOR_TOKEN: OPERATOR_TOKEN,
        TEST_ADMIN_TOKEN: ADMIN_TOKEN,
        PIPELINE_ORCHESTRATOR_CONTROL_PLANE_ADMIN_TOKEN_REF: 'env:TEST_OPERATOR_TOKEN',
        PIPELINE_ORCHESTRATOR_ADMIN_ADMIN_TOKEN_REF: 'env:TEST_ADMIN_TOKEN',
      };
  // Its own process group, so a signal reaches the coordinator behind `npm start` too.
  const coordinator = spawnProcess(command, args, {
    cwd: ROOT,
    env: { ...process.env, CAPSTAN_LOG_LEVEL: 'info', ...tokenRefs, ...options.env },
  });
  t.after(async () => {
    await coordinator.kill('SIGKILL');
    if (!options.keepDataDir && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  const [, baseUrl = ''] = await coordinator.waitFor(
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    'coordinator',
  );
  return {
    baseUrl,
    dataDir,
    child: coordinator.child,
    output: coordinator.output,
    stdout: coordinator.stdout,
    kill: coordinator.kill,
  };
}

export interface ApiResponse {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

/** A minimal HTTP client for tests: JSON in, JSON out, the operator token by default. */
export function apiClient(baseUrl: string, token: string | null = OPERATOR_TOKEN) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body:
        body === undefined
          ? undefined
          : typeof body === 'string' || body instanceof Uint8Array
            ? body
            : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const cp = '/tpf/control-plane/tenants/default';
  return {
    call,
    submit: (body: unknown, headers?: Record<string, string>) =>
      call('POST', `${cp}/executions`, body, headers),
    status: (id: string) => call('GET', `${cp}/executions/${id}`),
    result: (id: string, waitMs = 10_000) => call('GET', `${cp}/executions/${id}/result?waitMs=${waitMs}`),
    pending: (query = '') => call('GET', `${cp}/interactions/pending${query}`),
    complete: (body: unknown) => call('POST', `${cp}/interactions/complete`, body),
    cancel: (id: string) => call('POST', `${cp}/executions/${id}/cancel`),
    redrive: (id: string, body: unknown) =>
      call('POST', `/tpf/admin/tenants/default/executions/${id}/redrive`, body),
  };
}
