import { CapstanApiError, createClient, type CapstanClient } from '../../src/client/index.ts';

export type Role = 'operator' | 'admin';

export interface Session {
  readonly token: string;
  readonly role: Role;
  readonly tenant: string;
}

/**
 * The token lives in sessionStorage: gone when the tab closes, never in a cookie. The API reads
 * it from the Authorization header alone, so another site cannot make the browser send it
 * (no CSRF), and the console's pages are same-origin with the API.
 */
const KEY = 'capstan.console.session';

export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

export function clientOf(session: Pick<Session, 'token' | 'tenant'>): CapstanClient {
  return createClient({ url: location.origin, token: session.token, tenant: session.tenant, retry: false });
}

/** Checks a token and learns its role; a worker token does not open the console. */
export async function logIn(token: string, tenant: string): Promise<Session> {
  const client = clientOf({ token, tenant });
  const answer = await client.request<{ role: string }>('GET', '/api/whoami', 'operator', {
    idempotent: true,
  });
  const role = answer.body.role;
  if (role !== 'operator' && role !== 'admin') {
    throw new Error(`A ${role} token does not open the console: use an operator or admin token.`);
  }
  return { token, role, tenant };
}

export function messageOf(error: unknown): string {
  if (error instanceof CapstanApiError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
