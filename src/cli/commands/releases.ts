import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Activation, Release } from '../../client/index.ts';
import { clientFrom, type ConnectionFlags } from '../connection.ts';
import { apiCommand } from '../api-command.ts';
import { print, renderFields, renderTable, time, type Column } from '../output.ts';
import { packReleaseFolder } from '../release-folder.ts';

type Flags = ConnectionFlags & { json?: boolean; pipeline: string };

type ReleaseRecord = Release;

function releaseFields(r: ReleaseRecord): string {
  return renderFields([
    ['pipeline', r.pipelineId],
    ['release', r.releaseVersion],
    ['status', r.status],
    ['contract', r.contractVersion],
    ['artifact', r.primaryArtifactId],
    ['digest', r.primaryArtifactDigest],
    ['created', time(r.createdAtEpochMs)],
    ['activated', time(r.activatedAtEpochMs)],
  ]);
}

const releaseColumns: Column<ReleaseRecord>[] = [
  { header: 'release', value: (r) => r.releaseVersion },
  { header: 'status', value: (r) => r.status },
  { header: 'contract', value: (r) => r.contractVersion },
  { header: 'created', value: (r) => time(r.createdAtEpochMs) },
  { header: 'activated', value: (r) => time(r.activatedAtEpochMs) },
];

const activationColumns: Column<Activation>[] = [
  { header: 'seq', value: (a) => a.seq },
  { header: 'release', value: (a) => a.releaseVersion },
  { header: 'activated', value: (a) => time(a.activatedAtEpochMs) },
  { header: 'actor', value: (a) => a.actor },
];

/** A releases subcommand: admin, per pipeline. */
const releaseCommand = (parent: Command, nameAndArgs: string, description: string) =>
  apiCommand(parent, nameAndArgs, `${description} (admin)`).requiredOption('--pipeline <id>', 'pipeline id');

/**
 * `capstan releases …` (alias of `release`, so `releases build` is `release build`): register,
 * activate, list, show, active, activations.
 */
export function releasesCommands(program: Command): void {
  const release =
    program.commands.find((c) => c.name() === 'release') ??
    program.command('release').description('Build and manage pipeline releases');
  release.alias('releases');

  releaseCommand(release, 'register', 'Register a release from its descriptor path or its folder')
    .option('--descriptor-path <path>', "path of pipeline-release.json, as the coordinator's host sees it")
    .option('--dir <folder>', 'a release folder (as `release build` writes it), uploaded as a .tgz')
    .action(async (options: Flags & { descriptorPath?: string; dir?: string }, command: Command) => {
      if ((options.descriptorPath === undefined) === (options.dir === undefined))
        command.error('error: give exactly one of --descriptor-path <path> or --dir <folder>');
      const releases = clientFrom(options).releases;
      const record =
        options.dir !== undefined
          ? await releases.register(options.pipeline, {
              archive: (await packReleaseFolder(options.dir, options.pipeline)).tgz,
            })
          : await releases.register(options.pipeline, {
              descriptorPath: resolve(options.descriptorPath ?? ''),
            });
      print(options, record, () => releaseFields(record));
    });

  releaseCommand(
    release,
    'activate <releaseVersion>',
    'Activate a registered release for new submissions',
  ).action(async (version: string, options: Flags) => {
    const r = await clientFrom(options).releases.activate(options.pipeline, version);
    print(options, r, () => releaseFields(r));
  });

  releaseCommand(release, 'list', "List a pipeline's registered releases").action(async (options: Flags) => {
    const rows = await clientFrom(options).releases.list(options.pipeline);
    print(options, rows, () => renderTable(rows, releaseColumns));
  });

  releaseCommand(release, 'show <releaseVersion>', 'Show one release').action(
    async (version: string, options: Flags) => {
      const r = await clientFrom(options).releases.get(options.pipeline, version);
      print(options, r, () => releaseFields(r));
    },
  );

  releaseCommand(release, 'active', "Show a pipeline's active release (exit 3 when none)").action(
    async (options: Flags) => {
      const r = await clientFrom(options).releases.active(options.pipeline);
      print(options, r, () => releaseFields(r));
    },
  );

  releaseCommand(release, 'artifact <releaseVersion>', "Download a release's artifact (.tgz) as registered")
    .requiredOption('--out <file>', 'where to write the artifact (- for stdout)')
    .action(async (version: string, options: Flags & { out: string }) => {
      const bytes = await clientFrom(options).releases.artifact(options.pipeline, version);
      if (options.out === '-') process.stdout.write(bytes);
      else {
        await writeFile(resolve(options.out), bytes);
        process.stderr.write(`wrote ${bytes.byteLength} bytes to ${resolve(options.out)}\n`);
      }
    });

  releaseCommand(release, 'activations', "List a pipeline's activations, oldest first").action(
    async (options: Flags) => {
      const rows = await clientFrom(options).releases.activations(options.pipeline);
      print(options, rows, () => renderTable(rows, activationColumns));
    },
  );
}
