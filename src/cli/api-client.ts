import { Option, type Command } from 'commander';
import { CliError, localCodes } from '../errors/cli-error.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const DEFAULT_TENANT = 'default';

/** The connection flags every API command accepts. */
export interface ConnectionFlags {
  url?: string;
  token?: string;
  adminToken?: string;
  workerToken?: string;
  tenant?: string;
}

const connectionGroup = 'Connection options:';

/** Adds `--url`, `--token`, `--admin-token`, `--worker-token` and `--tenant` (each with its environment variable). */
export function withConnectionOptions(command: Command): Command {
  const options = [
    new Option('--url <url>', `coordinator base URL (env CAPSTAN_URL, default ${DEFAULT_URL})`),
    new Option('--token <token>', 'operator bearer token (env CAPSTAN_TOKEN)'),
    new Option(
      '--admin-token <token>',
      'admin bearer token, for admin commands (env CAPSTAN_ADMIN_TOKEN, else the operator token)',
    ),
    new Option(
      '--worker-token <token>',
      'worker bearer token, for workers register/heartbeat (env CAPSTAN_WORKER_TOKEN, else the admin token)',
    ),
    new Option('--tenant <id>', `tenant id (env CAPSTAN_TENANT, default "${DEFAULT_TENANT}")`),
  ];
  for (const option of options) command.addOption(option.helpGroup(connectionGroup));
  return command;
}

export type Role = 'operator' | 'admin' | 'worker' | 'none';
export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  readonly query?: Query;
  /** A JSON body. */
  readonly json?: unknown;
  /** A raw body with its content type (e.g. a `.tgz` as `application/gzip`). */
  readonly raw?: { readonly bytes: Buffer; readonly contentType: string };
  /** Non-2xx statuses whose body is a normal answer (e.g. 503 from `/api/ready`). */
  readonly acceptStatuses?: readonly number[];
}

const nonEmpty = (...values: (string | undefined)[]): string | undefined =>
  values.find((v) => v !== undefined && v.trim() !== '')?.trim();

function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(localCodes.invalidConfiguration, `'${raw}' is not a URL (--url / CAPSTAN_URL)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(
      localCodes.invalidConfiguration,
      `'${raw}' is not an http(s) URL (--url / CAPSTAN_URL)`,
    );
  return url.href.replace(/\/+$/, '');
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function refusal(status: number, statusText: string, body: unknown, role: Role, hasToken: boolean): CliError {
  const error =
    typeof body === 'object' && body !== null && 'error' in body
      ? (body as { error: { code?: unknown; message?: unknown; details?: unknown } }).error
      : undefined;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  let message =
    typeof error?.message === 'string'
      ? error.message
      : typeof body === 'string' && body !== ''
        ? body
        : statusText || `HTTP ${status}`;
  if (status === 401 && !hasToken)
    message +=
      role === 'admin'
        ? ' (set CAPSTAN_ADMIN_TOKEN or --admin-token)'
        : role === 'worker'
          ? ' (set CAPSTAN_WORKER_TOKEN or --worker-token)'
          : ' (set CAPSTAN_TOKEN or --token)';
  return new CliError(code, message, status, error?.details);
}

/** A small client for the coordinator's HTTP API over the global fetch. */
export class ApiClient {
  readonly baseUrl: string;
  readonly tenant: string;
  private readonly tokens: Readonly<Record<'operator' | 'admin' | 'worker', string | undefined>>;

  constructor(settings: {
    baseUrl: string;
    tenant: string;
    token?: string;
    adminToken?: string;
    workerToken?: string;
  }) {
    this.baseUrl = parseBaseUrl(settings.baseUrl);
    this.tenant = settings.tenant;
    const admin = settings.adminToken ?? settings.token;
    this.tokens = { operator: settings.token, admin, worker: settings.workerToken ?? admin };
  }

  /** A control-plane path (operator token): `/tpf/control-plane/tenants/{tenant}{path}`. */
  controlPlane(path: string): string {
    return `/tpf/control-plane/tenants/${encodeURIComponent(this.tenant)}${path}`;
  }

  /** An admin path (admin token): `/tpf/admin/tenants/{tenant}{path}`. */
  admin(path: string): string {
    return `/tpf/admin/tenants/${encodeURIComponent(this.tenant)}${path}`;
  }

  /** Sends a request; a non-2xx answer (outside `acceptStatuses`) throws a {@link CliError}. */
  async request<T>(
    method: string,
    path: string,
    role: Role,
    options: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const token = role === 'none' ? undefined : this.tokens[role];
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | Buffer | undefined;
    if (options.raw) {
      headers['content-type'] = options.raw.contentType;
      body = options.raw.bytes;
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
      const reason = cause ?? (error instanceof Error ? error.message : String(error));
      throw new CliError(localCodes.unreachable, `cannot reach ${this.baseUrl}: ${reason}`);
    }
    const parsed = parseBody(await response.text());
    if (response.ok || options.acceptStatuses?.includes(response.status))
      return { status: response.status, body: parsed as T };
    throw refusal(response.status, response.statusText, parsed, role, token !== undefined);
  }

  async get<T>(path: string, role: Role, query?: Query): Promise<T> {
    return (await this.request<T>('GET', path, role, { query })).body;
  }

  async post<T>(path: string, role: Role, json: unknown = {}): Promise<T> {
    return (await this.request<T>('POST', path, role, { json })).body;
  }
}

/** The client for a command's flags: a flag wins over its environment variable, then the default. */
export function clientFrom(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ApiClient {
  const token = nonEmpty(flags.token, env.CAPSTAN_TOKEN);
  return new ApiClient({
    baseUrl: nonEmpty(flags.url, env.CAPSTAN_URL) ?? DEFAULT_URL,
    tenant: nonEmpty(flags.tenant, env.CAPSTAN_TENANT) ?? DEFAULT_TENANT,
    token,
    adminToken: nonEmpty(flags.adminToken, env.CAPSTAN_ADMIN_TOKEN) ?? token,
    workerToken: nonEmpty(flags.workerToken, env.CAPSTAN_WORKER_TOKEN),
  });
}
