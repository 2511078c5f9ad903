import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../util/private-files.ts';
import { resolveSecretRef } from './secret-ref.ts';

export type TokenRole = 'operator' | 'admin' | 'worker';

/** Where a token came from: a configured ref, generated at this start, or kept from an earlier one. */
export type TokenOrigin =
  | { readonly kind: 'ref'; readonly ref: string }
  | { readonly kind: 'generated-now' }
  | { readonly kind: 'stored' };

export interface AccessTokens {
  /** Opens the control plane (`/tpf/control-plane/...`). */
  readonly operator: string;
  /** Opens the admin surface, and the control plane too (admin ⊇ operator). */
  readonly admin: string;
  /** Opens worker register and heartbeat only, so workers never hold admin tokens. */
  readonly worker: string;
  /** Which tokens were generated because none was configured (now or on an earlier start). */
  readonly generated: readonly TokenRole[];
  /** Where each token came from: only one generated at this start may be shown in full. */
  readonly origins: Readonly<Record<TokenRole, TokenOrigin>>;
}

const PREFIX: Record<TokenRole, string> = { operator: 'op', admin: 'adm', worker: 'wrk' };
const storedTokens = z.object({
  operator: z.string().min(16).optional(),
  admin: z.string().min(16).optional(),
  worker: z.string().min(16).optional(),
});

/**
 * The operator, admin and worker tokens: from their refs when configured; otherwise generated
 * once, kept in `<data-dir>/tokens.json` (mode 0600) and reused on restart. No surface is open.
 */
export function resolveAccessTokens(options: {
  operatorRef: string | undefined;
  adminRef: string | undefined;
  workerRef?: string | undefined;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}): AccessTokens {
  const refs: Record<TokenRole, string | undefined> = {
    operator: options.operatorRef,
    admin: options.adminRef,
    worker: options.workerRef,
  };
  const file = join(options.dataDir, 'tokens.json');
  const stored = existsSync(file) ? storedTokens.parse(JSON.parse(readFileSync(file, 'utf8'))) : {};
  const generated: TokenRole[] = [];
  const tokens = {} as Record<TokenRole, string>;
  const origins = {} as Record<TokenRole, TokenOrigin>;
  let changed = false;
  for (const role of ['operator', 'admin', 'worker'] as const) {
    const ref = refs[role];
    if (ref) {
      tokens[role] = resolveSecretRef(ref, options.env);
      origins[role] = { kind: 'ref', ref };
      continue;
    }
    generated.push(role);
    let token = stored[role];
    origins[role] = { kind: 'stored' };
    if (!token) {
      token = `${PREFIX[role]}_${randomBytes(24).toString('base64url')}`;
      stored[role] = token;
      changed = true;
      origins[role] = { kind: 'generated-now' };
    }
    tokens[role] = token;
  }
  if (changed) {
    makePrivateDir(options.dataDir);
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
    chmodSync(file, PRIVATE_FILE_MODE);
  }
  return { ...tokens, generated, origins };
}
