import { enc, type Requester } from './requester.ts';
import type { Activation, Release } from './types.ts';

/** How a release is registered: a descriptor path the coordinator reads, inline, or a `.tgz` upload. */
export type ReleaseSource =
  | { readonly descriptorPath: string }
  | {
      readonly descriptor: Record<string, unknown>;
      readonly artifacts?: readonly { readonly uri: string; readonly contentBase64: string }[];
    }
  | { readonly archive: Uint8Array };

/** A pipeline's releases (admin token; reading one release also takes a worker token). */
export class ReleasesClient {
  readonly #request: Requester;
  readonly #tenant: string;

  constructor(request: Requester, tenant: string) {
    this.#request = request;
    this.#tenant = tenant;
  }

  #path(pipelineId: string, rest = ''): string {
    return `/tpf/admin/tenants/${enc(this.#tenant)}/pipelines/${enc(pipelineId)}/releases${rest}`;
  }

  async list(pipelineId: string): Promise<Release[]> {
    return (await this.#request<Release[]>('GET', this.#path(pipelineId), 'admin', { idempotent: true }))
      .body;
  }

  /** One release: a worker token opens it too (a worker reads the release it is told to host). */
  async get(pipelineId: string, releaseVersion: string): Promise<Release> {
    const path = this.#path(pipelineId, `/${enc(releaseVersion)}`);
    return (await this.#request<Release>('GET', path, 'worker', { idempotent: true })).body;
  }

  /**
   * A release's artifact, the bytes it was registered with (worker or admin token): for a
   * worker whose own artifact store lacks it. Check them against the release's digest.
   */
  async artifact(
    pipelineId: string,
    releaseVersion: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    const path = this.#path(pipelineId, `/${enc(releaseVersion)}/artifact`);
    const answer = await this.#request<Uint8Array>('GET', path, 'worker', {
      idempotent: true,
      responseType: 'bytes',
      signal: options.signal,
    });
    return answer.body;
  }

  /** The active release; `release_not_found` when none is active, `pipeline_not_found` when none is registered. */
  async active(pipelineId: string): Promise<Release> {
    const path = this.#path(pipelineId, '/active');
    return (await this.#request<Release>('GET', path, 'admin', { idempotent: true })).body;
  }

  async activations(pipelineId: string): Promise<Activation[]> {
    const path = this.#path(pipelineId, '/activations');
    return (await this.#request<Activation[]>('GET', path, 'admin', { idempotent: true })).body;
  }

  /** Registers a release; the same release again is answered as it is (releases are immutable). */
  async register(pipelineId: string, source: ReleaseSource): Promise<Release> {
    const path = this.#path(pipelineId, '/register');
    const body =
      'archive' in source
        ? { raw: { bytes: source.archive, contentType: 'application/gzip' } }
        : 'descriptorPath' in source
          ? { json: { releaseDescriptorPath: source.descriptorPath } }
          : { json: source };
    return (await this.#request<Release>('POST', path, 'admin', { ...body, idempotent: true })).body;
  }

  /** Makes a registered release the one new submissions run on. */
  async activate(pipelineId: string, releaseVersion: string): Promise<Release> {
    const path = this.#path(pipelineId, `/${enc(releaseVersion)}/activate`);
    // Not idempotent: a repeat appends another activation.
    return (await this.#request<Release>('POST', path, 'admin', { idempotent: false })).body;
  }
}
