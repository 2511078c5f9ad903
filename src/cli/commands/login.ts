import type { Command } from 'commander';
import { CapstanApiError, createClient } from '../../client/index.ts';
import { CliError, localCodes } from '../../errors/cli-error.ts';
import { DEFAULT_PROFILE, removeProfile, saveProfile, profilesFile } from '../profiles.ts';

interface LoginOptions {
  url: string;
  token?: string;
  adminToken?: string;
  workerToken?: string;
  tenant?: string;
  profile?: string;
  verify: boolean;
}

/** Checks the tokens on the coordinator before saving them: a typo found now, not at the next command. */
async function verify(options: LoginOptions): Promise<void> {
  const client = createClient({ ...options, retry: false });
  try {
    if (options.token ?? options.adminToken) await client.listPage({ limit: 1 });
    const [pipeline] = options.adminToken ? await client.pipelines() : [];
    if (options.adminToken && pipeline) await client.releases.list(pipeline.pipelineId);
  } catch (error) {
    if (error instanceof CapstanApiError && (error.status === 401 || error.status === 403))
      throw new CliError(
        error.code,
        `${error.message} Nothing was saved (--no-verify saves anyway).`,
        error.status,
      );
    throw error;
  }
}

/** `capstan login` and `capstan logout`: profiles of coordinators, so tokens are not copied around. */
export function loginCommands(program: Command): void {
  program
    .command('login')
    .description(
      "Save a coordinator's URL and tokens as a profile ($XDG_CONFIG_HOME/capstan or ~/.config/capstan, mode 0600); flags and CAPSTAN_* variables still win",
    )
    .requiredOption('--url <url>', 'coordinator base URL')
    .option('--token <token>', 'operator bearer token')
    .option('--admin-token <token>', 'admin bearer token (admin commands)')
    .option('--worker-token <token>', 'worker bearer token')
    .option('--tenant <id>', 'tenant id')
    .option(
      '--profile <name>',
      `profile name (default "${DEFAULT_PROFILE}"; use one with --profile or CAPSTAN_PROFILE)`,
    )
    .option('--no-verify', 'save without checking the tokens on the coordinator')
    .action(async (options: LoginOptions, command: Command) => {
      if (!options.token && !options.adminToken && !options.workerToken)
        command.error('error: give at least one of --token, --admin-token or --worker-token');
      try {
        createClient({ url: options.url });
      } catch (error) {
        throw new CliError(localCodes.invalidConfiguration, `${(error as Error).message} (--url)`);
      }
      if (options.verify) await verify(options);
      const name = options.profile ?? DEFAULT_PROFILE;
      const file = saveProfile(name, {
        url: options.url,
        token: options.token,
        adminToken: options.adminToken,
        workerToken: options.workerToken,
        tenant: options.tenant,
      });
      console.log(`profile '${name}' saved in ${file}: ${options.url}`);
    });

  program
    .command('logout')
    .description('Forget a profile saved by `capstan login`')
    .option('--profile <name>', `profile name (default "${DEFAULT_PROFILE}")`)
    .action((options: { profile?: string }) => {
      const name = options.profile ?? DEFAULT_PROFILE;
      if (!removeProfile(name))
        throw new CliError(localCodes.invalidArgument, `no profile '${name}' in ${profilesFile()}`);
      console.log(`profile '${name}' removed`);
    });
}
