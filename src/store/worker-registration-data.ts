import type { WorkerRegistrationRecord } from './records.ts';

/** A REGISTER event's data in the worker history: the registration, as it has always been recorded. */
export function registrationData(r: WorkerRegistrationRecord): Record<string, unknown> {
  return {
    contractVersion: r.contractVersion,
    releaseVersion: r.releaseVersion,
    protocol: r.protocol,
    endpoint: r.endpoint,
    ...(r.artifactId ? { artifactId: r.artifactId } : {}),
    ...(r.artifactDigest ? { artifactDigest: r.artifactDigest } : {}),
  };
}
