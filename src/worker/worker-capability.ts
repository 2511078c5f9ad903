import { ENVELOPE_ENCODING, WORKER_PROTOCOL_VERSION, type Capability } from '../worker-protocol/envelopes.ts';
import type { HostedReleases } from './hosted-releases.ts';

/**
 * TPF's `PipelineWorkerCapability`, listing every release this worker hosts. `providerName`
 * is the protocol that answers; `servedProtocols` the remote protocols this worker serves.
 */
export function capabilityOf(
  hosted: HostedReleases,
  workerId: string,
  providerName: 'rest' | 'grpc',
  servedProtocols: readonly ('rest' | 'grpc')[],
): Capability {
  const releases = hosted.releases.map(
    ({ pipelineId, contractVersion, releaseVersion, artifactId, artifactDigest }) => ({
      pipelineId,
      contractVersion,
      releaseVersion,
      artifactId,
      artifactDigest,
    }),
  );
  const first = releases[0];
  if (!first) throw new Error('a worker hosts at least one release');
  return {
    protocolVersion: WORKER_PROTOCOL_VERSION,
    providerName,
    ...first,
    payloadEncodings: [ENVELOPE_ENCODING],
    workerProtocols: ['local', ...servedProtocols],
    workerId,
    tenantId: hosted.tenantId,
    releases,
  };
}
