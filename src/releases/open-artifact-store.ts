import { join, resolve } from 'node:path';
import { ConfigError } from '../errors/config-error.ts';
import { resolveSecretRef } from '../config/secret-ref.ts';
import type { Settings } from '../config/settings.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { LocalArtifactStore } from './local-artifact-store.ts';

const P = 'pipeline.orchestrator.releases.storage.';

/**
 * The artifact store `releases.storage.provider` names: the local folder (`root`, by default
 * `<data-dir>/artifacts`), or an S3 bucket every node of a cluster shares. What can only be known
 * here (an unresolvable secret ref, no region anywhere) is a ConfigError, before anything starts.
 */
export async function openArtifactStore(
  values: Settings,
  options: { dataDir: string; env?: NodeJS.ProcessEnv },
): Promise<ArtifactStore> {
  if (values[`${P}provider`] === 'local')
    return new LocalArtifactStore(resolve(values[`${P}root`] ?? join(options.dataDir, 'artifacts')));
  const bucket = values[`${P}s3.bucket`];
  // loadConfig refuses provider=s3 without a bucket; settings built another way are refused here.
  if (bucket === undefined) throw new ConfigError([`${P}provider=s3 needs ${P}s3.bucket`]);
  const credentials = credentialsOf(values, options.env ?? process.env);
  // Loaded only for S3, so a coordinator on its own disk never loads the AWS SDK.
  const [{ S3Client }, { S3ArtifactStore }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('./s3-artifact-store.ts'),
  ]);
  const client = new S3Client({
    region: values[`${P}s3.region`],
    endpoint: values[`${P}s3.endpoint`],
    forcePathStyle: values[`${P}s3.path-style`],
    credentials,
    // Bounded, so an artifact store that stops answering fails a request (503) instead of
    // holding it: 5 s to connect, 60 s of silence on a transfer.
    requestHandler: { connectionTimeout: 5_000, socketTimeout: 60_000 },
  });
  try {
    await client.config.region();
  } catch {
    client.destroy();
    throw new ConfigError([
      `${P}s3.region is not set, and the AWS environment names no region (AWS_REGION, a profile)`,
    ]);
  }
  return new S3ArtifactStore({ client, bucket, prefix: values[`${P}s3.prefix`] });
}

/** Static credentials from the two refs; undefined lets the SDK's default chain find them. */
function credentialsOf(
  values: Settings,
  env: NodeJS.ProcessEnv,
): { accessKeyId: string; secretAccessKey: string } | undefined {
  const idRef = values[`${P}s3.access-key-id-ref`];
  const secretRef = values[`${P}s3.secret-access-key-ref`];
  if (idRef === undefined || secretRef === undefined) return undefined;
  const resolveRef = (key: string, ref: string): string => {
    try {
      return resolveSecretRef(ref, env);
    } catch (error) {
      // The ref's own message names the ref (env:NAME, file:/path), never a secret.
      throw new ConfigError([`${key}: ${(error as Error).message}`]);
    }
  };
  return {
    accessKeyId: resolveRef(`${P}s3.access-key-id-ref`, idRef),
    secretAccessKey: resolveRef(`${P}s3.secret-access-key-ref`, secretRef),
  };
}
