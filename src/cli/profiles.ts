import { existsSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CliError, localCodes } from '../errors/cli-error.ts';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../util/private-files.ts';

/** A coordinator the CLI remembers (`capstan login`): where it is and the tokens for it. */
export interface Profile {
  readonly url: string;
  readonly token?: string | undefined;
  readonly adminToken?: string | undefined;
  readonly workerToken?: string | undefined;
  readonly tenant?: string | undefined;
}

const profileSchema = z.object({
  url: z.string().min(1),
  token: z.string().optional(),
  adminToken: z.string().optional(),
  workerToken: z.string().optional(),
  tenant: z.string().optional(),
});
const fileSchema = z.object({ profiles: z.record(z.string(), profileSchema) });

export const DEFAULT_PROFILE = 'default';

/** `$XDG_CONFIG_HOME/capstan` (else `~/.config/capstan`): the CLI's own settings. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(homedir(), '.config');
  return join(base, 'capstan');
}

/** Where the profiles are kept: one JSON file, owner-only (0600), holding tokens. */
export function profilesFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'profiles.json');
}

function readAll(env: NodeJS.ProcessEnv): Record<string, Profile> {
  const file = profilesFile(env);
  if (!existsSync(file)) return {};
  try {
    return fileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).profiles;
  } catch (error) {
    throw new CliError(
      localCodes.invalidConfiguration,
      `${file} is not a valid profiles file (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); fix or delete it, then \`capstan login\` again`,
    );
  }
}

function writeAll(profiles: Record<string, Profile>, env: NodeJS.ProcessEnv): string {
  const file = profilesFile(env);
  makePrivateDir(configDir(env));
  writeFileSync(file, `${JSON.stringify({ profiles }, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  // The mode of an existing file is not changed by writeFileSync's option.
  chmodSync(file, PRIVATE_FILE_MODE);
  return file;
}

export function readProfile(name: string, env: NodeJS.ProcessEnv = process.env): Profile | undefined {
  return readAll(env)[name];
}

/** Saves (or replaces) a profile; returns the file it is in. */
export function saveProfile(name: string, profile: Profile, env: NodeJS.ProcessEnv = process.env): string {
  return writeAll({ ...readAll(env), [name]: profile }, env);
}

/** Forgets a profile; false when there was none by that name. */
export function removeProfile(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const profiles = readAll(env);
  if (!(name in profiles)) return false;
  delete profiles[name];
  if (Object.keys(profiles).length === 0) rmSync(profilesFile(env), { force: true });
  else writeAll(profiles, env);
  return true;
}
