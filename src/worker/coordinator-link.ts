import { z } from 'zod';
import type { Logger } from '../runtime/logger.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import { systemRandom, type Random } from '../runtime/random.ts';
import { canonicalJson } from '../util/canonical-json.ts';
import type { KeyRing } from '../worker-protocol/key-ring.ts';
import { signRequest } from '../worker-protocol/signed-messages.ts';
import type { TimerHandle, Timers } from '../runtime/timers.ts';
import type { WorkerRelease } from './hosted-releases.ts';

export interface CoordinatorLinkOptions {
  /** The coordinator's base URL (any node of a cluster). */
  readonly url: string;
  /** A worker-role token: it opens register and heartbeat, nothing else. */
  readonly workerToken: string;
  readonly tenantId: string;
  readonly workerId: string;
  /** The protocol the coordinator calls this worker with; `pull` for a worker that asks instead. */
  readonly protocol: 'rest' | 'grpc' | 'pull' | 'queue';
  /** Where the coordinator calls it: the REST base URL, the gRPC `host:port`, the queue's name, or a pull worker's name. */
  readonly endpoint: string;
  readonly releases: readonly WorkerRelease[];
  readonly heartbeatEveryMs: number;
  readonly timers: Timers;
  readonly logger: Logger;
  /** How long one call to the coordinator may take. */
  readonly callTimeoutMs?: number;
  /**
   * The worker protocol's keys: registrations are signed with them, which lets this worker
   * register again at a new endpoint (after a restart on another port). Unsigned without.
   */
  readonly keys?: KeyRing;
  readonly clock?: Clock;
  readonly random?: Random;
}

/**
 * Keeps this worker registered with its coordinator, by itself: it registers every release
 * it hosts (its protocol and endpoint, the release identity) through the admin API's
 * worker routes with a worker token (the registration signed with the worker protocol's key),
 * then heartbeats. Until a registration succeeds it
 * retries every few seconds; a heartbeat the coordinator no longer knows (404) registers
 * again, so a coordinator whose store was reset finds its workers back by itself.
 */
export class CoordinatorLink {
  readonly #o: CoordinatorLinkOptions;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #registered = false;
  #stopped = false;

  constructor(options: CoordinatorLinkOptions) {
    this.#o = options;
  }

  get registered(): boolean {
    return this.#registered;
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#o.timers.clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#running = this.#beat().finally(() => (this.#running = undefined));
    }, delayMs);
  }

  async #beat(): Promise<void> {
    const o = this.#o;
    try {
      if (!this.#registered) {
        for (const release of o.releases) await this.#register(release);
        this.#registered = true;
        o.logger.info(
          { coordinator: o.url, workerId: o.workerId, protocol: o.protocol, endpoint: o.endpoint },
          'registered with the coordinator',
        );
      } else {
        for (const release of o.releases)
          await this.#call(
            `${this.#workersPath(release)}/${encodeURIComponent(o.workerId)}/heartbeat`,
            undefined,
          );
      }
      this.#schedule(o.heartbeatEveryMs);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404) this.#registered = false;
      o.logger.warn({ coordinator: o.url, err: String(error) }, 'coordinator call failed; retrying');
      this.#schedule(Math.min(o.heartbeatEveryMs, 2_000));
    }
  }

  /**
   * Registers one release, signed. A coordinator that cannot verify the signature (it no
   * longer holds this worker's signing key, mid-rotation) gets the registration unsigned:
   * that still registers the worker where it already is, only not at a new endpoint.
   */
  async #register(release: WorkerRelease): Promise<void> {
    const path = `${this.#workersPath(release)}/register`;
    try {
      await this.#call(path, this.#registration(release), { sign: true });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'worker_signature_invalid') throw error;
      this.#o.logger.warn(
        { coordinator: this.#o.url, err: String(error) },
        'the coordinator cannot verify this worker’s signing key; registering unsigned',
      );
      await this.#call(path, this.#registration(release));
    }
  }

  #workersPath(release: WorkerRelease): string {
    const tenant = encodeURIComponent(this.#o.tenantId);
    return `/tpf/admin/tenants/${tenant}/pipelines/${encodeURIComponent(release.pipelineId)}/workers`;
  }

  #registration(release: WorkerRelease) {
    return {
      workerId: this.#o.workerId,
      contractVersion: release.contractVersion,
      releaseVersion: release.releaseVersion,
      protocol: this.#o.protocol,
      endpoint: this.#o.endpoint,
      ...(release.artifactId ? { artifactId: release.artifactId } : {}),
      ...(release.artifactDigest ? { artifactDigest: release.artifactDigest } : {}),
    };
  }

  async #call(path: string, body: unknown, options: { sign?: boolean } = {}): Promise<void> {
    const o = this.#o;
    // The signature covers the registration's canonical JSON, which the coordinator
    // recomputes from the body it parsed: what is signed is exactly what it acts on.
    const signature =
      options.sign && o.keys?.canSign
        ? signRequest(
            o.keys,
            { clock: o.clock ?? systemClock, random: o.random ?? systemRandom },
            { method: 'POST', path, body: canonicalJson(body) },
          ).headers
        : {};
    const abort = new AbortController();
    const timer = o.timers.setTimeout(() => abort.abort(), o.callTimeoutMs ?? 10_000);
    try {
      const response = await fetch(`${o.url.replace(/\/+$/, '')}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${o.workerToken}`,
          ...signature,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: abort.signal,
      });
      const text = await response.text();
      if (!response.ok)
        throw Object.assign(new Error(`${path}: ${response.status} ${text.slice(0, 300)}`), {
          status: response.status,
          code: errorCodeOf(text),
        });
    } finally {
      o.timers.clearTimeout(timer);
    }
  }
}

/** The catalogue code of a coordinator's error body (`{error: {code}}`), if it has one. */
function errorCodeOf(text: string): string | undefined {
  try {
    return errorBody.safeParse(JSON.parse(text)).data?.error.code;
  } catch {
    return undefined;
  }
}

const errorBody = z.object({ error: z.object({ code: z.string() }) });
