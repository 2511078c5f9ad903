import { readFileSync } from 'node:fs';

/**
 * Resolves a secret reference: `env:NAME` reads an environment variable, `file:/path` reads a
 * file (trailing newline trimmed). Secrets are never written inline in configuration.
 */
export function resolveSecretRef(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const value = env[name];
    if (!value) throw new Error(`secret ref '${ref}': environment variable ${name} is not set`);
    return value;
  }
  if (ref.startsWith('file:')) {
    const path = ref.slice(5);
    let value: string;
    try {
      value = readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new Error(`secret ref '${ref}': ${(error as Error).message}`);
    }
    if (!value) throw new Error(`secret ref '${ref}': the file is empty`);
    return value;
  }
  throw new Error(`secret ref '${ref}' must start with env: or file:`);
}
