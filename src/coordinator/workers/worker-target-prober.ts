import type { Logger } from '../../runtime/logger.ts';
import type { Clock } from '../../runtime/clock.ts';
import { capabilitySchema } from '../../worker-protocol/envelopes.ts';
import type { WorkerTransport } from './remote-transition-worker.ts';
import type { WorkerLifecycle } from './worker-lifecycle.ts';

/** A worker the coordinator is configured to call: where, and over which protocol. */
export interface WorkerTarget {
  readonly transport: WorkerTransport;
  /** A REST base URL or a gRPC `host:port`. */
  readonly endpoint: string;
}

interface Probed {
  readonly tenantId: string;
  readonly workerId: string;
  readonly pipelineIds: readonly string[];
}

/**
 * The workers configured by `pipeline.orchestrator.worker.rest.base-url` and
 * `…worker.grpc.endpoint`, which need not know the coordinator (a TPF worker does not
 * register itself). Every third of `stale-after` the coordinator asks each for its signed
 * capabilities and registers what it hosts (or, when nothing changed, records a heartbeat),
 * so these workers join the same lifecycle registry and routing table as self-registered
 * ones. A worker that stops answering is UNAVAILABLE.
 */
export class WorkerTargetProber {
  readonly #targets: readonly WorkerTarget[];
  readonly #lifecycle: WorkerLifecycle;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #tenantId: string;
  readonly #everyMs: number;
  readonly #probed = new Map<string, Probed>();
  readonly #stopping = new AbortController();
  #probedAtMs = Number.NEGATIVE_INFINITY;

  constructor(options: {
    targets: readonly WorkerTarget[];
    lifecycle: WorkerLifecycle;
    clock: Clock;
    logger: Logger;
    /** The tenant a worker hosts for when its capabilities do not say. */
    tenantId: string;
    staleAfterMs: number;
  }) {
    this.#targets = options.targets;
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
    await Promise.all(this.#targets.map((target) => this.#probeOne(target)));
    return true;
  }

  /** Gives up the probes in flight (at shutdown) rather than wait for their timeouts. */
  stop(): void {
    this.#stopping.abort();
  }

  async #probeOne({ transport, endpoint }: WorkerTarget): Promise<void> {
    const { protocol } = transport;
    const key = `${protocol} ${endpoint}`;
    const answer = await transport.capabilities(endpoint, this.#stopping.signal);
    if (answer.kind === 'aborted') return;
    if (answer.kind === 'failed') return this.#unreachable(key, answer.reason);
    let parsed;
    try {
      parsed = capabilitySchema.safeParse(JSON.parse(answer.body));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) return this.#unreachable(key, 'malformed capabilities');
    const capability = parsed.data;
    const tenantId = capability.tenantId ?? this.#tenantId;
    const workerId = capability.workerId ?? `${protocol}:${endpoint}`;
    const releases = capability.releases ?? [capability];
    for (const release of releases) {
      const known = (await this.#lifecycle.list(tenantId, release.pipelineId)).find(
        (w) => w.workerId === workerId,
      );
      const same =
        known?.protocol === protocol &&
        known.endpoint === endpoint &&
        known.contractVersion === release.contractVersion &&
        known.releaseVersion === release.releaseVersion;
      if (same) await this.#lifecycle.signal(tenantId, release.pipelineId, workerId, 'HEARTBEAT');
      else {
        await this.#lifecycle.register(
          tenantId,
          release.pipelineId,
          {
            workerId,
            contractVersion: release.contractVersion,
            releaseVersion: release.releaseVersion,
            protocol,
            endpoint,
            artifactId: release.artifactId ?? undefined,
            artifactDigest: release.artifactDigest ?? undefined,
            // An operator configured this endpoint, and its capabilities came signed by a key holder.
          },
          { mayChangeEndpoint: true },
        );
        this.#logger.info(
          { workerId, protocol, endpoint, releaseVersion: release.releaseVersion },
          'configured worker registered',
        );
      }
    }
    this.#probed.set(key, { tenantId, workerId, pipelineIds: releases.map((r) => r.pipelineId) });
  }

  async #unreachable(key: string, reason: string): Promise<void> {
    this.#logger.warn({ target: key, reason }, 'worker did not answer its capabilities probe');
    const probed = this.#probed.get(key);
    if (!probed) return;
    this.#probed.delete(key);
    for (const pipelineId of probed.pipelineIds)
      await this.#lifecycle.markUnavailable(probed.tenantId, pipelineId, probed.workerId, reason);
  }
}
