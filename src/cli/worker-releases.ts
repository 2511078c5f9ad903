import { resolve } from 'node:path';
import { ConfigError } from '../errors/config-error.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../runtime/logger.ts';
import { openArtifactStore } from '../releases/open-artifact-store.ts';
import type { WorkerRelease } from '../worker/hosted-releases.ts';
import { releaseFromArtifact, type ArtifactToHost } from '../worker/release-from-artifact.ts';
import { createClient } from '../client/index.ts';
import { artifactSource } from '../worker/fetch-release-artifact.ts';
import { CliError, localCodes } from '../errors/cli-error.ts';

/** The release record fields a worker needs (`GET …/releases/{releaseVersion}`). */
interface ReleaseDto {
  readonly pipelineId: string;
  readonly contractVersion: string;
  readonly releaseVersion: string;
  readonly primaryArtifactId: string | null;
  readonly primaryArtifactDigest: string;
}

/** `<pipelineId>@<releaseVersion>`; a pipeline id never holds an `@`. */
function parseReference(reference: string): { pipelineId: string; releaseVersion: string } {
  const at = reference.indexOf('@');
  if (at <= 0 || at === reference.length - 1)
    throw new CliError(
      localCodes.invalidArgument,
      `--release expects <pipelineId>@<releaseVersion>, got '${reference}'`,
    );
  return { pipelineId: reference.slice(0, at), releaseVersion: reference.slice(at + 1) };
}

/**
 * The registered releases `capstan worker` was told to host (`--release`, `--artifact-digest`),
 * fetched from the artifact store the coordinator uses (`releases.storage.*`), verified and loaded.
 * A `--release` is looked up on the coordinator with the worker token (its artifact's digest, its
 * contract), so the worker hosts exactly what the coordinator registered under that name.
 */
export async function registeredReleasesToHost(
  wanted: { releases: readonly string[]; digests: readonly string[] },
  context: {
    values: Settings;
    coordinatorUrl: string | undefined;
    workerToken: string | undefined;
    tenantId: string;
    logger: Logger;
  },
): Promise<WorkerRelease[]> {
  if (wanted.releases.length === 0 && wanted.digests.length === 0) return [];
  const toHost: ArtifactToHost[] = wanted.digests.map((digest) => {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest))
      throw new CliError(
        localCodes.invalidArgument,
        `--artifact-digest expects sha256:<64 hex>, got '${digest}'`,
      );
    return { digest };
  });
  if (wanted.releases.length > 0) {
    const { coordinatorUrl, workerToken } = context;
    if (!coordinatorUrl || !workerToken)
      throw new ConfigError([
        '--release looks the release up on the coordinator: give --coordinator-url and a worker token (or host the artifact by --artifact-digest)',
      ]);
    const api = createClient({ url: coordinatorUrl, tenant: context.tenantId, workerToken });
    for (const reference of wanted.releases) {
      const { pipelineId, releaseVersion } = parseReference(reference);
      const release: ReleaseDto = await api.releases.get(pipelineId, releaseVersion);
      toHost.push({
        digest: release.primaryArtifactDigest,
        artifactId: release.primaryArtifactId ?? undefined,
        pipelineId: release.pipelineId,
        contractVersion: release.contractVersion,
        releaseVersion: release.releaseVersion,
      });
    }
  }
  const artifacts = await openArtifactStore(context.values, {
    dataDir: resolve(context.values['capstan.data-dir']),
  });
  // A release the worker's own store lacks is downloaded from the coordinator (worker token).
  const { coordinatorUrl, workerToken, tenantId } = context;
  const access = coordinatorUrl && workerToken ? { url: coordinatorUrl, workerToken, tenantId } : undefined;
  const releases: WorkerRelease[] = [];
  for (const artifact of toHost) {
    const { pipelineId, releaseVersion, digest } = artifact;
    const source =
      pipelineId !== undefined && releaseVersion !== undefined
        ? await artifactSource(artifacts, access, { pipelineId, releaseVersion, digest })
        : artifacts;
    const release = await releaseFromArtifact(source, artifact);
    context.logger.info(
      { ...source.description, artifactDigest: artifact.digest, releaseVersion: release.releaseVersion },
      'release artifact fetched and verified',
    );
    releases.push(release);
  }
  return releases;
}
