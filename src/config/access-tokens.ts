import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { resolveSecretRef } from './secret-ref.ts';

export interface AccessTokens {
  /** Opens the control plane (`/tpf/control-plane/...`). */
  readonly operator: string;
  /** Opens the admin surface, and the control plane too (admin ⊇ operator). */
  readonly admin: string;
  /** Which tokens were generated because none was configured. */
  readonly generated: readonly ('operator' | 'admin')[];
}

const storedTokens = z.object({ operator: z.string().min(16), admin: z.string().min(16) });

/**
 * The operator and admin tokens: from their refs when configured; otherwise generated once,
 * kept in `<data-dir>/tokens.json` (mode 0600) and reused on restart. The surface is never open.
 */
export function resolveAccessTokens(options: {
  operatorRef: string | undefined;
  adminRef: string | undefined;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
}): AccessTokens {
  const file = join(options.dataDir, 'tokens.json');
  let stored: z.output<typeof storedTokens> | undefined;
  const generated: ('operator' | 'admin')[] = [];
  const fallback = (): z.output<typeof storedTokens> => {
    if (stored) return stored;
    if (existsSync(file)) {
      stored = storedTokens.parse(JSON.parse(readFileSync(file, 'utf8')));
    } else {
      stored = {
        operator: `op_${randomBytes(24).toString('base64url')}`,
        admin: `adm_${randomBytes(24).toString('base64url')}`,
      };
      mkdirSync(options.dataDir, { recursive: true });
      writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    return stored;
  };
  const operator = options.operatorRef ? resolveSecretRef(options.operatorRef, options.env) : undefined;
  const admin = options.adminRef ? resolveSecretRef(options.adminRef, options.env) : undefined;
  if (!operator) generated.push('operator');
  if (!admin) generated.push('admin');
  return { operator: operator ?? fallback().operator, admin: admin ?? fallback().admin, generated };
}
