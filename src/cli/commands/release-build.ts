import { join, resolve } from 'node:path';
import type { Command } from 'commander';

export function releaseCommand(program: Command): void {
  const release = program.command('release').description('Build and manage pipeline releases');
  release
    .command('build')
    .description('Write pipeline-contract.json, the artifact and pipeline-release.json for each pipeline')
    .requiredOption('--pipelines <module...>', 'pipeline module files or folders')
    .option('--out <dir>', 'output folder (one sub-folder per pipeline)', 'dist/releases')
    .option('--release-version <version>', 'override the derived release version')
    .option('--json', 'print the result as JSON')
    .action(
      async (options: { pipelines: string[]; out: string; releaseVersion?: string; json?: boolean }) => {
        // Loaded on demand: the bundler and pipeline modules are for this command only.
        const { buildRelease, writeRelease } = await import('../../releases/build-release.ts');
        const { loadPipelines } = await import('../../releases/load-pipelines.ts');
        const results = [];
        for (const { pipeline, sourceFile } of await loadPipelines(options.pipelines)) {
          const built = await buildRelease(pipeline, { sourceFile, releaseVersion: options.releaseVersion });
          const { descriptorPath } = await writeRelease(built, join(resolve(options.out), pipeline.id));
          results.push({
            pipelineId: pipeline.id,
            contractVersion: built.contract.contractVersion,
            releaseVersion: built.descriptor.releaseVersion,
            artifactDigest: built.descriptor.artifacts[0]?.digest,
            descriptorPath,
          });
        }
        if (options.json) {
          console.log(JSON.stringify(results, null, 2));
          return;
        }
        for (const r of results) {
          console.log(
            `${r.pipelineId}\n  contract  ${r.contractVersion}\n  release   ${r.releaseVersion}\n  artifact  ${r.artifactDigest}\n  written   ${r.descriptorPath}`,
          );
        }
      },
    );
}
