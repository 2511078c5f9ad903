import { envNameOf } from './settings.ts';

const P = 'pipeline.orchestrator.releases.storage.';
type Source = string;

/**
 * What the artifact-store settings cannot say one by one: an S3 store needs its bucket, and S3
 * credentials come as a pair (one ref alone would silently fall back to the SDK's chain for the
 * other half). Checked with every other problem, before anything starts.
 */
export function artifactStoreProblems(
  values: Readonly<Record<string, unknown>>,
  sources: Readonly<Record<string, Source>>,
): string[] {
  if (values[`${P}provider`] !== 's3') return [];
  const problems: string[] = [];
  const bucket = `${P}s3.bucket`;
  // An invalid bucket (no value, a source of its own) is already a problem of its own.
  if (values[bucket] === undefined && sources[bucket] === 'default') {
    problems.push(
      `${P}provider=s3 (from ${sources[`${P}provider`]}) needs ${bucket}: set it, or ${envNameOf(bucket)}`,
    );
  }
  const id = `${P}s3.access-key-id-ref`;
  const secret = `${P}s3.secret-access-key-ref`;
  if ((values[id] === undefined) !== (values[secret] === undefined)) {
    problems.push(
      `${id} and ${secret} go together: set both, or neither to use the AWS SDK's credential chain`,
    );
  }
  return problems;
}
