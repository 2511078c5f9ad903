import { Option, type Command } from 'commander';
import { createClient, type CapstanClient } from '../client/index.ts';
import { CliError, localCodes } from '../errors/cli-error.ts';
import { isLoopback, readLocalTokens } from './local-tokens.ts';
import { DEFAULT_PROFILE, readProfile, profilesFile } from './profiles.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const DEFAULT_TENANT = 'default';

/** The connection flags every API command accepts. */
export interface ConnectionFlags {
  url?: string;
  token?: string;
  adminToken?: string;
  workerToken?: string;
  tenant?: string;
  profile?: string;
}

const connectionGroup = 'Connection options:';

/** Adds `--url`, `--token`, `--admin-token`, `--worker-token`, `--tenant` and `--profile` (each with its environment variable). */
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
    new Option(
      '--profile <name>',
      `a profile saved by \`capstan login\` (env CAPSTAN_PROFILE, default "${DEFAULT_PROFILE}")`,
    ),
  ];
  for (const option of options) command.addOption(option.helpGroup(connectionGroup));
  return command;
}

/** Where the tokens in use came from, for the hints an auth refusal prints. */
export type TokenSource =
  | { readonly kind: 'given' }
  | { readonly kind: 'profile'; readonly name: string; readonly file: string }
  | { readonly kind: 'local'; readonly file: string }
  | { readonly kind: 'none' };

export interface Connection {
  readonly url: string;
  readonly tenant: string;
  readonly token: string | undefined;
  readonly adminToken: string | undefined;
  readonly workerToken: string | undefined;
  readonly source: TokenSource;
}

const nonEmpty = (...values: (string | undefined)[]): string | undefined =>
  values.find((v) => v !== undefined && v.trim() !== '')?.trim();

/**
 * Where to connect and with which tokens. Each value: its flag, else its environment variable,
 * else the profile (`--profile`/`CAPSTAN_PROFILE`, default "default") — whose tokens are used
 * only for the profile's own URL — else, with no token given at all and a loopback URL, the
 * tokens a local coordinator keeps in its data directory (`CAPSTAN_DATA_DIR`, else
 * `./.capstan`), so `capstan` beside `capstan serve` needs no token copying.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const named = nonEmpty(flags.profile, env.CAPSTAN_PROFILE);
  const profileName = named ?? DEFAULT_PROFILE;
  const given = {
    token: nonEmpty(flags.token, env.CAPSTAN_TOKEN),
    adminToken: nonEmpty(flags.adminToken, env.CAPSTAN_ADMIN_TOKEN),
    workerToken: nonEmpty(flags.workerToken, env.CAPSTAN_WORKER_TOKEN),
  };
  const explicitUrl = nonEmpty(flags.url, env.CAPSTAN_URL);
  // Everything given and no profile named: the profiles file is not even read.
  const fullyGiven =
    named === undefined &&
    explicitUrl !== undefined &&
    (given.token ?? given.adminToken ?? given.workerToken) !== undefined;
  const profile = fullyGiven ? undefined : readProfile(profileName, env);
  if (profile === undefined && named !== undefined)
    throw new CliError(
      localCodes.invalidConfiguration,
      `no profile '${profileName}' in ${profilesFile(env)} (save one with \`capstan login --profile ${profileName} --url … --token …\`)`,
    );
  const url = explicitUrl ?? profile?.url ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new CliError(localCodes.invalidConfiguration, `'${url}' is not a URL (--url / CAPSTAN_URL)`);
  }
  const tenant = nonEmpty(flags.tenant, env.CAPSTAN_TENANT) ?? profile?.tenant ?? DEFAULT_TENANT;
  if (given.token ?? given.adminToken ?? given.workerToken)
    return { url, tenant, ...given, source: { kind: 'given' } };
  // A profile's tokens are for its own coordinator: never sent to another URL.
  if (profile && sameUrl(profile.url, url) && (profile.token ?? profile.adminToken ?? profile.workerToken))
    return {
      url,
      tenant,
      token: profile.token,
      adminToken: profile.adminToken,
      workerToken: profile.workerToken,
      source: { kind: 'profile', name: profileName, file: profilesFile(env) },
    };
  const local = isHttp(url) && isLoopback(url) ? readLocalTokens(env) : undefined;
  if (local)
    return {
      url,
      tenant,
      token: local.operator,
      adminToken: local.admin,
      workerToken: local.worker,
      source: { kind: 'local', file: local.file },
    };
  return {
    url,
    tenant,
    token: undefined,
    adminToken: undefined,
    workerToken: undefined,
    source: { kind: 'none' },
  };
}

const isHttp = (url: string) => /^https?:$/.test(new URL(url).protocol);
const sameUrl = (a: string, b: string) =>
  new URL(a).href.replace(/\/+$/, '') === new URL(b).href.replace(/\/+$/, '');

/**
 * The connection the command in this process used: the CLI runs one command per process, and
 * the error report reads it to say where a refused token came from.
 */
let used: Connection | undefined;
export const connectionUsed = (): Connection | undefined => used;

/** The API client for a command's flags (see {@link resolveConnection}); the CLI does not retry. */
export function clientFrom(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): CapstanClient {
  const connection = resolveConnection(flags, env);
  used = connection;
  try {
    return createClient({ ...connection, retry: false });
  } catch (error) {
    throw new CliError(
      localCodes.invalidConfiguration,
      `${error instanceof Error ? error.message : String(error)} (--url / CAPSTAN_URL)`,
    );
  }
}
