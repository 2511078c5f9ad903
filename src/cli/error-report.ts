import type { CapstanApiError } from '../client/index.ts';
import { connectionUsed, type Connection } from './connection.ts';
import { readLocalTokens } from './local-tokens.ts';

/** A validation error's field problems, one line each: `  /status/0: Invalid option … (allowed: A, B)`. */
export function detailLines(details: unknown): string[] {
  if (details === undefined || details === null) return [];
  const { issues, parameter, ...rest } = details as {
    issues?: { path?: unknown; message?: unknown; allowed?: unknown; minimum?: unknown; maximum?: unknown }[];
    parameter?: unknown;
  };
  const lines: string[] = [];
  if (typeof parameter === 'string') lines.push(`  parameter: ${parameter}`);
  for (const issue of Array.isArray(issues) ? issues : []) {
    const bounds = [
      Array.isArray(issue.allowed) ? `allowed: ${issue.allowed.join(', ')}` : undefined,
      typeof issue.minimum === 'number' ? `minimum: ${issue.minimum}` : undefined,
      typeof issue.maximum === 'number' ? `maximum: ${issue.maximum}` : undefined,
    ].filter(Boolean);
    lines.push(
      `  ${typeof issue.path === 'string' ? issue.path : '/'}: ${typeof issue.message === 'string' ? issue.message : ''}${bounds.length ? ` (${bounds.join('; ')})` : ''}`,
    );
  }
  if (typeof details !== 'object' || Array.isArray(details))
    lines.push(`  details: ${JSON.stringify(details)}`);
  else if (Object.keys(rest).length > 0) lines.push(`  details: ${JSON.stringify(rest)}`);
  return lines;
}

function whereTokensAre(connection: Connection | undefined): string {
  switch (connection?.source.kind) {
    case 'profile':
      return ` (the tokens in use are profile '${connection.source.name}' in ${connection.source.file})`;
    case 'local':
      return ` (the tokens in use were found in ${connection.source.file})`;
    default:
      return '';
  }
}

/**
 * What to do about an auth refusal: which token the command needs, and where to find it.
 * The 401 without any token keeps its short form on the error line (`(set CAPSTAN_TOKEN or
 * --token)`); the rest is a `hint:` line below.
 */
export function authHint(error: CapstanApiError): { suffix: string; hints: string[] } {
  if (error.code !== 'unauthorized' && error.code !== 'forbidden') return { suffix: '', hints: [] };
  const connection = connectionUsed();
  const [env, flag] =
    error.role === 'admin'
      ? ['CAPSTAN_ADMIN_TOKEN', '--admin-token']
      : error.role === 'worker'
        ? ['CAPSTAN_WORKER_TOKEN', '--worker-token']
        : ['CAPSTAN_TOKEN', '--token'];
  const suffix = error.status === 401 && !error.tokenSent ? ` (set ${env} or ${flag})` : '';
  const where = whereTokensAre(connection);
  // Name the file when there is one here; else say where a local coordinator keeps it.
  const localFile = readLocalTokens()?.file;
  const local = localFile
    ? `the local coordinator's are in ${localFile}`
    : 'a local coordinator keeps the tokens it generated in <data-dir>/tokens.json (default ./.capstan): run the CLI beside it, or point CAPSTAN_DATA_DIR there';
  const hints: string[] = [];
  if (error.role === 'admin' && error.status === 403)
    hints.push(
      `hint: admin commands need the admin token: ${flag} or ${env}, or a profile (\`capstan login --admin-token …\`)${where}; ${local} (its "admin" entry)`,
    );
  else if (error.status === 401)
    hints.push(
      `hint: ${error.tokenSent ? 'the coordinator does not know this token' : 'no token was found'}${where}; give ${flag} or ${env}, save one with \`capstan login --url … --token …\`, or ${local}`,
    );
  else hints.push(`hint: this command needs the ${error.role} token: ${flag} or ${env}${where}`);
  return { suffix, hints };
}
