import type { Logger } from '../coordinator/logger.ts';
import type { Clock } from '../runtime/clock.ts';
import { CAPABILITIES_PATH, capabilitySchema } from '../worker-protocol/envelopes.ts';
import type { SignedRestClient } from './signed-rest-client.ts';
import type { WorkerLifecycle } from './worker-lifecycle.ts';

interface Probed {
  readonly tenantId: string;
  readonly workerId: string;
  readonly pipelineIds: readonly string[];
}

/**
 * The workers configured by `pipeline.orchestrator.worker.rest.base-url`, which need not know
 * the coordinator (a TPF worker does not register itself). Every third of `stale-after` the
 * coordinator asks each for its signed capabilities and registers what it hosts (or, when
 * nothing changed, records a heartbeat), so these workers join the same lifecycle registry
 * and routing table as self-registered ones. A worker that stops answering is UNAVAILABLE.
 */
export class RestTargetProber {
  readonly #baseUrls: readonly string[];
  readonly #client: SignedRestClient;
  readonly #lifecycle: WorkerLifecycle;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #tenantId: string;
  readonly #everyMs: number;
  readonly #probed = new Map<string, Probed>();
  readonly #stopping = new AbortController();
  #probedAtMs = Number.NEGATIVE_INFINITY;

  constructor(options: {
    baseUrls: readonly string[];
    client: SignedRestClient;
    lifecycle: WorkerLifecycle;
    clock: Clock;
    logger: Logger;
    /** The tenant a worker hosts for when its capabilities do not say. */
    tenantId: string;
    staleAfterMs: number;
  }) {
    this.#baseUrls = options.baseUrls;
    this.#client = options.client;
    this.#lifecycle = options.lifecycle;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#tenantId = options.tenantId;
    this.#everyMs = options.staleAfterMs / 3;
  }

  /** Probes every target when a third of `stale-after` has passed; true when it probed. */
  async probe(): Promise<boolean> {
    const nowMs = this.#clock.now();
    if (nowMs - this.#probedAtMs < this.#everyMs) return false;
    this.#probedAtMs = nowMs;
    await Promise.all(this.#baseUrls.map((baseUrl) => this.#probeOne(baseUrl)));
    return true;
  }

  /** Gives up the probes in flight (at shutdown) rather than wait for their timeouts. */
  stop(): void {
    this.#stopping.abort();
  }

  async #probeOne(baseUrl: string): Promise<void> {
    const signal = this.#stopping.signal;
    const outcome = await this.#client.call(baseUrl, { method: 'GET', path: CAPABILITIES_PATH, signal });
    if (outcome.kind === 'aborted') return;
    if (outcome.kind !== 'answered' || outcome.status !== 200) {
      const reason = outcome.kind === 'answered' ? `status ${outcome.status}` : outcome.kind;
      return this.#unreachable(baseUrl, 'reason' in outcome ? outcome.reason : reason);
    }
    let parsed;
    try {
      parsed = capabilitySchema.safeParse(JSON.parse(outcome.body));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) return this.#unreachable(baseUrl, 'malformed capabilities');
    const capability = parsed.data;
    const tenantId = capability.tenantId ?? this.#tenantId;
    const workerId = capability.workerId ?? `rest:${baseUrl}`;
    const releases = capability.releases ?? [capability];
    for (const release of releases) {
      const known = (await this.#lifecycle.list(tenantId, release.pipelineId)).find(
        (w) => w.workerId === workerId,
      );
      const same =
        known?.protocol === 'rest' &&
        known.endpoint === baseUrl &&
        known.contractVersion === release.contractVersion &&
        known.releaseVersion === release.releaseVersion;
      if (same) await this.#lifecycle.signal(tenantId, release.pipelineId, workerId, 'HEARTBEAT');
      else {
        await this.#lifecycle.register(tenantId, release.pipelineId, {
          workerId,
          contractVersion: release.contractVersion,
          releaseVersion: release.releaseVersion,
          protocol: 'rest',
          endpoint: baseUrl,
          artifactId: release.artifactId ?? undefined,
          artifactDigest: release.artifactDigest ?? undefined,
        });
        this.#logger.info(
          { workerId, baseUrl, releaseVersion: release.releaseVersion },
          'REST worker registered',
        );
      }
    }
    this.#probed.set(baseUrl, { tenantId, workerId, pipelineIds: releases.map((r) => r.pipelineId) });
  }

  async #unreachable(baseUrl: string, reason: string): Promise<void> {
    this.#logger.warn({ baseUrl, reason }, 'REST worker did not answer its capabilities probe');
    const probed = this.#probed.get(baseUrl);
    if (!probed) return;
    this.#probed.delete(baseUrl);
    for (const pipelineId of probed.pipelineIds)
      await this.#lifecycle.markUnavailable(probed.tenantId, pipelineId, probed.workerId, reason);
  }
}
