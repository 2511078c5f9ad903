import { createClient } from '../client/index.ts';
import { CapstanError } from '../errors/catalog.ts';
import { verified, type ArtifactStore } from '../releases/artifact-store.ts';
import { LocalArtifactStore } from '../releases/local-artifact-store.ts';
import { MemoryArtifactStore } from '../releases/memory-artifact-store.ts';

/** Where a worker reaches its coordinator, and with what (a worker-role token is enough). */
export interface CoordinatorAccess {
  readonly url: string;
  readonly workerToken: string;
  readonly tenantId: string;
  /** How long the download may take (default 60 s). */
  readonly timeoutMs?: number;
}

/**
 * Downloads a registered release's artifact from the coordinator
 * (`GET …/pipelines/{p}/releases/{v}/artifact`, worker or admin token), for a worker whose own
 * artifact store does not hold it: another machine, no shared S3 bucket. The bytes must hash to
 * the digest the coordinator registered (`artifact_verification_failed` otherwise), so a
 * coordinator's answer is trusted no further than its registration.
 */
export async function fetchReleaseArtifact(
  access: CoordinatorAccess,
  release: { pipelineId: string; releaseVersion: string; digest: string },
): Promise<Buffer> {
  const client = createClient({ url: access.url, workerToken: access.workerToken, tenant: access.tenantId });
  const bytes = await client.releases
    .artifact(release.pipelineId, release.releaseVersion, {
      signal: AbortSignal.timeout(access.timeoutMs ?? 60_000),
    })
    .catch((error: unknown) => {
      throw new CapstanError(
        'artifact_verification_failed',
        `GET …/releases/${release.releaseVersion}/artifact: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  return verified(release.digest, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * The store a worker reads a release's artifact from: its own when that holds the artifact, else
 * the artifact downloaded from the coordinator. A download is kept in the worker's own store when
 * that is a local folder, so the next start finds it there; an S3 bucket is left as it is (the
 * worker may not write there, and it is the coordinator's to fill).
 */
export async function artifactSource(
  own: ArtifactStore,
  access: CoordinatorAccess | undefined,
  release: { pipelineId: string; releaseVersion: string; digest: string },
): Promise<ArtifactStore> {
  if (!access || (await own.has(release.digest))) return own;
  const bytes = await fetchReleaseArtifact(access, release).catch((error: unknown) => {
    const where = Object.entries(own.description)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    throw new CapstanError(
      'artifact_verification_failed',
      `Artifact ${release.digest} is missing from the artifact store (${where}), and the coordinator did not hand it over: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  if (own instanceof LocalArtifactStore) {
    await own.put(bytes);
    return own;
  }
  const fetched = new MemoryArtifactStore({ artifactStore: 'coordinator', coordinatorUrl: access.url });
  await fetched.put(bytes);
  return fetched;
}
