import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CapstanError } from '../errors/catalog.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import type { Clock } from '../runtime/clock.ts';
import type { ReleaseRecord } from '../store/records.ts';
import type { Store } from '../store/store-port.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { readApplicationArchive } from './application-archive.ts';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archive-limits.ts';
import type { PipelineContract } from './pipeline-contract.ts';
import type { ReleaseCatalog } from './release-catalog.ts';
import {
  releaseDescriptorSchema,
  type ReleaseArtifact,
  type ReleaseDescriptor,
} from './release-descriptor.ts';
import { readTgz } from './read-tgz.ts';
import { readRegularFile } from './read-regular-file.ts';

/** Artifact kinds whose bytes the coordinator holds, checks and stores. */
const STORED_KINDS = new Set(['application-archive', 'local-file', 'jar', 'native-binary', 'lambda-zip']);
/** Kinds that name something deployed elsewhere: accepted as they are, nothing to fetch. */
const REFERENCE_KINDS = new Set(['container-image', 'lambda-image', 'external-endpoint']);

/** Finds an artifact's bytes by its descriptor `uri`; undefined when there are none. */
type ArtifactSource = (uri: string) => Promise<Buffer | undefined>;

export interface RegisteredRelease {
  readonly release: ReleaseRecord;
  readonly created: boolean;
}

const invalid = (message: string, details?: unknown) => new CapstanError('release_invalid', message, details);
const conflict = (pipelineId: string, releaseVersion: string) =>
  new CapstanError(
    'release_conflict',
    `Release ${releaseVersion} of '${pipelineId}' is already registered with other metadata.`,
  );

/**
 * Registers and activates releases (the admin API's release routes). A release is checked once, when it is
 * registered: the descriptor's shape, its pipeline, every stored artifact's sha256, and the
 * contract inside the primary artifact (its version must be its own hash and the descriptor's).
 * Stored artifacts are kept content-addressed and re-verified at activation, never per submit.
 * Releases are immutable: the same version again is idempotent, other metadata is a conflict.
 */
export class ReleaseRegistrar {
  readonly #store: Store;
  readonly #artifacts: ArtifactStore;
  readonly #catalog: ReleaseCatalog;
  readonly #clock: Clock;
  readonly #allowedRoots: readonly string[];
  readonly #archiveLimits: ArchiveLimits;

  constructor(options: {
    store: Store;
    artifacts: ArtifactStore;
    catalog: ReleaseCatalog;
    clock: Clock;
    /** Absolute folders descriptor paths and artifact paths may be read from. */
    allowedRoots: readonly string[];
    /** Caps on unpacking an uploaded archive and each application-archive artifact. */
    archiveLimits?: ArchiveLimits;
  }) {
    this.#store = options.store;
    this.#artifacts = options.artifacts;
    this.#catalog = options.catalog;
    this.#clock = options.clock;
    this.#allowedRoots = options.allowedRoots.map((root) => resolve(root));
    this.#archiveLimits = options.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS;
  }

  /** From a `pipeline-release.json` on the coordinator's filesystem, under an allowed root. */
  async registerFromPath(
    tenantId: string,
    pipelineId: string,
    descriptorPath: string,
  ): Promise<RegisteredRelease> {
    if (!isAbsolute(descriptorPath)) throw invalid('releaseDescriptorPath must be an absolute path.');
    const path = await this.#allowedPath(descriptorPath);
    const text = await readRegularFile(path).catch((error: unknown) => {
      if (error instanceof CapstanError) throw error;
      throw invalid(`Cannot read ${descriptorPath}.`);
    });
    const base = dirname(path);
    return this.#register(tenantId, pipelineId, parseJson(text.toString('utf8'), descriptorPath), (uri) =>
      this.#readAllowed(resolveUri(uri, base)),
    );
  }

  /** From an inline descriptor; artifact bytes inline (base64) or, failing that, from allowed paths. */
  async registerInline(
    tenantId: string,
    pipelineId: string,
    descriptor: unknown,
    artifacts: readonly { uri: string; contentBase64: string }[] = [],
  ): Promise<RegisteredRelease> {
    const inline = new Map(artifacts.map((a) => [a.uri, Buffer.from(a.contentBase64, 'base64')]));
    return this.#register(tenantId, pipelineId, descriptor, async (uri) => {
      const bytes = inline.get(uri);
      if (bytes) return bytes;
      if (!isAbsolute(resolveUri(uri, '/'))) return undefined;
      return this.#readAllowed(resolveUri(uri, '/'));
    });
  }

  /** From an uploaded `.tgz` of a release folder, as `capstan release build` writes one. */
  async registerArchive(tenantId: string, pipelineId: string, archive: Buffer): Promise<RegisteredRelease> {
    const files = await readTgz(archive, this.#archiveLimits).catch((error: unknown) => {
      if (error instanceof CapstanError && error.code === 'release_archive_too_large') throw error;
      throw invalid('The uploaded body is not a gzip-compressed tar archive.');
    });
    const name = [...files.keys()].find(
      (f) => f === 'pipeline-release.json' || f.endsWith('/pipeline-release.json'),
    );
    const descriptorText = name ? files.get(name) : undefined;
    if (!name || !descriptorText) throw invalid('The archive holds no pipeline-release.json.');
    const base = dirname(name) === '.' ? '' : `${dirname(name)}/`;
    return this.#register(tenantId, pipelineId, parseJson(descriptorText.toString('utf8'), name), (uri) =>
      Promise.resolve(files.get(`${base}${uri.replace(/^\.\//, '')}`)),
    );
  }

  /**
   * Appends an activation after re-verifying the stored artifacts; affects new submissions only.
   * The artifacts are read back from the store and re-hashed: with a shared (S3) store, this node
   * proves it can fetch what another node registered.
   */
  async activate(
    tenantId: string,
    pipelineId: string,
    releaseVersion: string,
    actor: string,
  ): Promise<ReleaseRecord> {
    const release = await this.#store.getRelease(tenantId, pipelineId, releaseVersion);
    if (!release) throw new CapstanError('release_not_found');
    const descriptor = releaseDescriptorSchema.parse(release.descriptor);
    for (const artifact of descriptor.artifacts.filter((a) => STORED_KINDS.has(a.kind)))
      await this.#verifyStored(artifact);
    await this.#store.activateRelease({
      tenantId,
      pipelineId,
      releaseVersion,
      activatedAtMs: this.#clock.now(),
      actor,
    });
    this.#catalog.invalidate(tenantId, pipelineId);
    return release;
  }

  async #register(
    tenantId: string,
    pipelineId: string,
    raw: unknown,
    source: ArtifactSource,
  ): Promise<RegisteredRelease> {
    const parsed = releaseDescriptorSchema.safeParse(raw);
    if (!parsed.success) {
      throw invalid('The release descriptor is invalid.', {
        issues: parsed.error.issues.map((i) => ({ path: `/${i.path.join('/')}`, message: i.message })),
      });
    }
    const descriptor = parsed.data;
    if (descriptor.pipelineId !== pipelineId) {
      throw invalid(`The descriptor is for pipeline '${descriptor.pipelineId}', not '${pipelineId}'.`);
    }
    const stored: { artifact: ReleaseArtifact; bytes: Buffer }[] = [];
    let contract: PipelineContract | undefined;
    let primary: ReleaseArtifact | undefined;
    for (const artifact of descriptor.artifacts) {
      if (REFERENCE_KINDS.has(artifact.kind)) continue;
      if (!STORED_KINDS.has(artifact.kind))
        throw invalid(`Artifact kind '${artifact.kind}' is not supported.`);
      const bytes = await source(artifact.uri);
      if (!bytes) throw invalid(`Artifact ${artifact.artifactId}: no content for '${artifact.uri}'.`);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (digest !== artifact.digest) {
        throw invalid(
          `Artifact ${artifact.artifactId}: its content hashes to ${digest}, not ${artifact.digest}.`,
        );
      }
      const found =
        artifact.kind === 'application-archive'
          ? (await readApplicationArchive(bytes, artifact.artifactId, this.#archiveLimits)).contract
          : undefined;
      if (found) {
        checkContract(found, descriptor);
        contract = found;
        primary = artifact;
      }
      stored.push({ artifact, bytes });
    }
    primary ??= descriptor.artifacts[0];
    if (!contract || !primary) {
      throw invalid(
        'No artifact carries pipeline-contract.json: the coordinator needs the contract to validate inputs.',
      );
    }
    // Refuse a conflict before storing anything: a refused request writes nothing.
    const existing = await this.#store.getRelease(tenantId, pipelineId, descriptor.releaseVersion);
    if (existing) {
      const same =
        canonicalJson(existing.descriptor) === canonicalJson(descriptor) &&
        existing.contractVersion === descriptor.contractVersion;
      if (!same) throw conflict(pipelineId, descriptor.releaseVersion);
      return { release: existing, created: false };
    }
    for (const { bytes } of stored) await this.#artifacts.put(bytes);
    const outcome = await this.#store.registerRelease({
      tenantId,
      pipelineId,
      releaseVersion: descriptor.releaseVersion,
      contractVersion: descriptor.contractVersion,
      descriptor,
      contract,
      primaryArtifactDigest: primary.digest,
      createdAtMs: this.#clock.now(),
    });
    if (outcome === 'conflict') throw conflict(pipelineId, descriptor.releaseVersion);
    const release = await this.#store.getRelease(tenantId, pipelineId, descriptor.releaseVersion);
    if (!release) throw new Error(`release ${descriptor.releaseVersion} vanished after registration`);
    return { release, created: outcome === 'created' };
  }

  /**
   * A registered release's primary artifact, re-hashed on the way out, for a worker that does
   * not share this coordinator's artifact store: `artifact_verification_failed` when the store
   * no longer holds it (or holds other bytes).
   */
  async primaryArtifact(release: { primaryArtifactDigest: string }): Promise<Buffer> {
    const digest = release.primaryArtifactDigest;
    const bytes = await this.#artifacts.get(digest);
    if (!bytes)
      throw new CapstanError(
        'artifact_verification_failed',
        `Artifact ${digest} is missing from the artifact store.`,
      );
    return bytes;
  }

  /** Refuses with `artifact_verification_failed` unless the store holds the artifact's exact bytes. */
  async #verifyStored(artifact: ReleaseArtifact): Promise<void> {
    const refuse = (why: string) =>
      new CapstanError(
        'artifact_verification_failed',
        `Artifact ${artifact.artifactId} (${artifact.digest}) ${why}.`,
      );
    let bytes: Buffer | undefined;
    try {
      bytes = await this.#artifacts.get(artifact.digest);
    } catch (error) {
      if (error instanceof CapstanError && error.code === 'artifact_verification_failed')
        throw refuse('no longer matches its digest');
      throw error;
    }
    if (!bytes) throw refuse('is missing from the artifact store');
  }

  /** An artifact's bytes from under an allowed root; undefined when it cannot be read. */
  async #readAllowed(path: string): Promise<Buffer | undefined> {
    const real = await this.#allowedPath(path);
    return readRegularFile(real).catch((error: unknown) => {
      if (error instanceof CapstanError) throw error;
      return undefined;
    });
  }

  /**
   * The real path, refused unless it lies under one of the allowed roots. The path as given is
   * checked before anything is looked up, so a path outside the roots has one answer
   * (`release_path_not_allowed`) whether or not it exists; the real path is checked again after
   * symlinks are followed, so a link inside a root cannot lead out of it.
   */
  async #allowedPath(path: string): Promise<string> {
    const notAllowed = () =>
      new CapstanError('release_path_not_allowed', `${path} is not under an allowed release root.`);
    const realRoots = await Promise.all(this.#allowedRoots.map((root) => realpath(root).catch(() => root)));
    if (!isUnderAny([...this.#allowedRoots, ...realRoots], resolve(path))) throw notAllowed();
    const real = await realpath(path).catch(() => {
      throw invalid(`Cannot read ${path}.`);
    });
    if (!isUnderAny(realRoots, real)) throw notAllowed();
    return real;
  }
}

function isUnderAny(roots: readonly string[], path: string): boolean {
  return roots.some((root) => {
    const rel = relative(root, path);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
  });
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`${what} is not valid JSON.`);
  }
}

/** A descriptor uri: `file://…`, an absolute path, or a path relative to the descriptor. */
function resolveUri(uri: string, base: string): string {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  return resolve(base, uri);
}

function checkContract(contract: PipelineContract, descriptor: ReleaseDescriptor): void {
  if (contract.pipelineId !== descriptor.pipelineId) {
    throw invalid(
      `The artifact's contract is for pipeline '${contract.pipelineId}', not '${descriptor.pipelineId}'.`,
    );
  }
  if (contract.contractVersion !== descriptor.contractVersion) {
    throw invalid(
      `The artifact's contract is ${contract.contractVersion}, but the descriptor says ${descriptor.contractVersion}.`,
    );
  }
}
