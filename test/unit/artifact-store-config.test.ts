import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/config-error.ts';
import { LocalArtifactStore } from '../../src/releases/local-artifact-store.ts';
import { openArtifactStore } from '../../src/releases/open-artifact-store.ts';
import { S3ArtifactStore } from '../../src/releases/s3-artifact-store.ts';
import { S3_CREDENTIALS, startS3Server } from '../support/s3-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const S = 'pipeline.orchestrator.releases.storage';
const ENV = 'PIPELINE_ORCHESTRATOR_RELEASES_STORAGE';

/** The message of the ConfigError `load` throws. */
function configError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

test('storage settings: local by default, every key from the environment, TPF spellings accepted', (t) => {
  const defaults = loadConfig({ env: {} }).values;
  assert.equal(defaults[`${S}.provider`], 'local');
  assert.equal(defaults[`${S}.root`], undefined);
  assert.equal(defaults[`${S}.s3.prefix`], 'tpf/releases', "TPF's default prefix");
  assert.equal(defaults[`${S}.s3.path-style`], false);

  const { values } = loadConfig({
    env: {
      [`${ENV}_PROVIDER`]: 's3',
      [`${ENV}_ROOT`]: '/srv/artifacts',
      [`${ENV}_S3_BUCKET`]: 'capstan-artifacts',
      [`${ENV}_S3_PREFIX`]: 'prod/releases',
      [`${ENV}_S3_REGION`]: 'eu-west-1',
      [`${ENV}_S3_ENDPOINT`]: 'http://minio.internal:9000',
      [`${ENV}_S3_PATH_STYLE`]: 'true',
      [`${ENV}_S3_ACCESS_KEY_ID_REF`]: 'env:S3_KEY_ID',
      [`${ENV}_S3_SECRET_ACCESS_KEY_REF`]: 'file:/run/secrets/s3-secret',
    },
  });
  assert.equal(values[`${S}.provider`], 's3');
  assert.equal(values[`${S}.root`], '/srv/artifacts');
  assert.equal(values[`${S}.s3.bucket`], 'capstan-artifacts');
  assert.equal(values[`${S}.s3.prefix`], 'prod/releases');
  assert.equal(values[`${S}.s3.region`], 'eu-west-1');
  assert.equal(values[`${S}.s3.endpoint`], 'http://minio.internal:9000');
  assert.equal(values[`${S}.s3.path-style`], true);
  assert.equal(values[`${S}.s3.access-key-id-ref`], 'env:S3_KEY_ID');
  assert.equal(values[`${S}.s3.secret-access-key-ref`], 'file:/run/secrets/s3-secret');

  // TPF's `endpoint-override` and `path-style-access`, from the environment and from a file.
  const fromTpfEnv = loadConfig({
    env: {
      [`${ENV}_S3_ENDPOINT_OVERRIDE`]: 'http://127.0.0.1:4566',
      [`${ENV}_S3_PATH_STYLE_ACCESS`]: 'true',
    },
  }).values;
  assert.equal(fromTpfEnv[`${S}.s3.endpoint`], 'http://127.0.0.1:4566');
  assert.equal(fromTpfEnv[`${S}.s3.path-style`], true);
  const dir = mkdtempSync(join(tmpdir(), 'capstan-storage-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tpf.properties');
  writeFileSync(
    file,
    [
      `${S}.provider=s3`,
      `${S}.s3.bucket=tpf-release-artifacts`,
      `${S}.s3.endpoint-override=http://localstack:4566`,
      `${S}.s3.path-style-access=true`,
      '',
    ].join('\n'),
  );
  const fromTpfFile = loadConfig({ env: {}, file });
  assert.equal(fromTpfFile.values[`${S}.s3.endpoint`], 'http://localstack:4566');
  assert.equal(fromTpfFile.values[`${S}.s3.path-style`], true);
  assert.equal(fromTpfFile.sources[`${S}.s3.endpoint`], 'file');
  assert.deepEqual(fromTpfFile.warnings, [], 'nothing of it is ignored');
  writeFileSync(file, `${S}.s3.endpoint=http://a:1\n${S}.s3.endpoint-override=http://b:2\n`);
  assert.match(
    configError(() => loadConfig({ env: {}, file })),
    /'pipeline\.orchestrator\.releases\.storage\.s3\.endpoint-override' \(from file .*:2\) and 'pipeline\.orchestrator\.releases\.storage\.s3\.endpoint' \(line 1\) set the same setting/,
  );
});

test('storage settings that cannot work are ConfigErrors naming the key', () => {
  const noBucket = configError(() => loadConfig({ env: { [`${ENV}_PROVIDER`]: 's3' } }));
  assert.match(
    noBucket,
    /releases\.storage\.provider=s3 \(from env\) needs pipeline\.orchestrator\.releases\.storage\.s3\.bucket: set it, or PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_BUCKET/,
  );
  assert.match(
    configError(() => loadConfig({ env: { [`${ENV}_PROVIDER`]: 'gcs' } })),
    /releases\.storage\.provider \(from env\)/,
  );
  const badValues = configError(() =>
    loadConfig({
      env: {
        [`${ENV}_PROVIDER`]: 's3',
        [`${ENV}_S3_BUCKET`]: 'Not_A_Bucket',
        [`${ENV}_S3_ENDPOINT`]: 'minio:9000',
        [`${ENV}_S3_SECRET_ACCESS_KEY_REF`]: 'wJalrXUtnFEMI-inline-secret',
      },
    }),
  );
  assert.match(badValues, /s3\.bucket \(from env\): an S3 bucket name/);
  assert.match(badValues, /s3\.endpoint \(from env\): an http:\/\/ or https:\/\/ URL/);
  assert.match(badValues, /s3\.secret-access-key-ref \(from env\): a secret ref/);
  assert.doesNotMatch(badValues, /inline-secret/, 'a secret written inline is never echoed');
  assert.doesNotMatch(badValues, /needs .*s3\.bucket/, 'a bad bucket is reported once, as itself');

  assert.match(
    configError(() =>
      loadConfig({
        env: {
          [`${ENV}_PROVIDER`]: 's3',
          [`${ENV}_S3_BUCKET`]: 'artifacts',
          [`${ENV}_S3_ACCESS_KEY_ID_REF`]: 'env:ID',
        },
      }),
    ),
    /s3\.access-key-id-ref and .*s3\.secret-access-key-ref go together/,
  );
  // The S3 keys mean nothing to the local store, so they are not checked there.
  assert.equal(
    loadConfig({ env: { [`${ENV}_S3_ACCESS_KEY_ID_REF`]: 'env:ID' } }).values[`${S}.provider`],
    'local',
  );
});

test('openArtifactStore: the local folder (data dir by default, or root), or S3 as configured', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-open-store-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const local = await openArtifactStore(loadConfig({ env: {} }).values, { dataDir });
  assert.ok(local instanceof LocalArtifactStore);
  assert.deepEqual(local.description, { artifactStore: 'local', artifactRoot: join(dataDir, 'artifacts') });
  const rooted = await openArtifactStore(
    loadConfig({ env: { [`${ENV}_ROOT`]: 'shared/artifacts' } }).values,
    {
      dataDir,
    },
  );
  assert.equal(
    rooted.description.artifactRoot,
    resolve('shared/artifacts'),
    'relative to the working folder',
  );

  // S3 through the settings an operator writes: endpoint, path-style, credentials by ref.
  const s3 = await startS3Server(t);
  const bucket = await s3.freshBucket();
  const env = {
    [`${ENV}_PROVIDER`]: 's3',
    [`${ENV}_S3_BUCKET`]: bucket,
    [`${ENV}_S3_PREFIX`]: 'cluster-a',
    [`${ENV}_S3_REGION`]: 'us-east-1',
    [`${ENV}_S3_ENDPOINT`]: s3.endpoint,
    [`${ENV}_S3_PATH_STYLE`]: 'true',
    [`${ENV}_S3_ACCESS_KEY_ID_REF`]: 'env:TEST_S3_KEY_ID',
    [`${ENV}_S3_SECRET_ACCESS_KEY_REF`]: 'env:TEST_S3_SECRET',
  };
  const secrets = {
    TEST_S3_KEY_ID: S3_CREDENTIALS.accessKeyId,
    TEST_S3_SECRET: S3_CREDENTIALS.secretAccessKey,
  };
  const store = await openArtifactStore(loadConfig({ env }).values, { dataDir, env: secrets });
  assert.ok(store instanceof S3ArtifactStore);
  assert.deepEqual(store.description, { artifactStore: 's3', bucket, prefix: 'cluster-a' });
  const digest = await store.put(Buffer.from('through the settings'));
  assert.equal(s3.writesOf(store.keyOf(digest)), 1);
  assert.equal((await store.get(digest))?.toString(), 'through the settings');

  // A ref that resolves to nothing: a ConfigError naming the key and the ref, not a secret.
  await assert.rejects(
    openArtifactStore(loadConfig({ env }).values, { dataDir, env: { TEST_S3_KEY_ID: 'S3RVER' } }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /s3\.secret-access-key-ref: secret ref 'env:TEST_S3_SECRET'.*not set/.test(error.message) &&
      !error.message.includes('S3RVER'),
  );
});

test('openArtifactStore: no region configured and none in the AWS environment is a ConfigError', async (t) => {
  // The SDK reads its region chain from this process's environment and ~/.aws; empty both.
  const names = ['AWS_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'];
  const saved = new Map(names.map((name) => [name, process.env[name]]));
  t.after(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  delete process.env.AWS_REGION;
  delete process.env.AWS_PROFILE;
  process.env.AWS_CONFIG_FILE = join(tmpdir(), 'capstan-no-aws-config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(tmpdir(), 'capstan-no-aws-credentials');
  const values = loadConfig({
    env: {
      [`${ENV}_PROVIDER`]: 's3',
      [`${ENV}_S3_BUCKET`]: 'artifacts',
      [`${ENV}_S3_ENDPOINT`]: 'http://127.0.0.1:9',
    },
  }).values;
  await assert.rejects(
    openArtifactStore(values, { dataDir: tmpdir(), env: {} }),
    (error: unknown) =>
      error instanceof ConfigError && /releases\.storage\.s3\.region is not set/.test(error.message),
  );
});

test('config print shows where the S3 credentials live, never the credentials', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['bin/capstan.mjs', 'config', 'print', '--json'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        [`${ENV}_PROVIDER`]: 's3',
        [`${ENV}_S3_BUCKET`]: 'artifacts',
        [`${ENV}_S3_ACCESS_KEY_ID_REF`]: 'env:S3_KEY_ID',
        [`${ENV}_S3_SECRET_ACCESS_KEY_REF`]: 'env:S3_SECRET',
        S3_KEY_ID: 'AKIA-do-not-print',
        S3_SECRET: 'secret-do-not-print',
      },
    },
  );
  const printed = JSON.parse(stdout);
  assert.deepEqual(printed[`${S}.s3.access-key-id-ref`], { value: 'env:S3_KEY_ID', source: 'env' });
  assert.deepEqual(printed[`${S}.s3.secret-access-key-ref`], { value: 'env:S3_SECRET', source: 'env' });
  assert.deepEqual(printed[`${S}.provider`], { value: 's3', source: 'env' });
  assert.doesNotMatch(stdout, /do-not-print/);
});
