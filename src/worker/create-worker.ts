import { hostname } from 'node:os';
import type { LocalPipelineSource } from '../coordinator/host-local-pipelines.ts';
import { silentLogger, type Logger } from '../coordinator/logger.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import { systemTimers, type Timers } from '../runtime/timers.ts';
import type { Pipeline } from '../sdk/define-pipeline.ts';
import type { ReleaseIdentity } from '../worker-protocol/envelopes.ts';
import { KeyRing } from '../worker-protocol/key-ring.ts';
import { RequestVerifier } from '../worker-protocol/request-verifier.ts';
import { CoordinatorLink } from './coordinator-link.ts';
import { buildWorkerReleases, HostedReleases } from './hosted-releases.ts';
import { createRestWorkerServer } from './rest-server.ts';

export interface CreateWorkerOptions {
  /** The pipelines to host: pipeline objects, or `{pipeline, sourceFile}` as `--pipelines` loads them. */
  readonly pipelines: readonly (Pipeline | LocalPipelineSource)[];
  /** The REST server: port 0 picks a free one. `advertisedUrl` is what the coordinator calls. */
  readonly rest: { readonly port: number; readonly host?: string; readonly advertisedUrl?: string };
  /** The default shared secret (requests without a key id). */
  readonly secret?: string;
  /** More secrets by key id, accepted during a key rotation. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** The keys as configuration resolved them; instead of `secret` and `secrets`. */
  readonly keys?: KeyRing;
  readonly signatureToleranceMs?: number;
  /** Registers with this coordinator and heartbeats; without it the worker only serves. */
  readonly coordinator?: {
    readonly url: string;
    readonly workerToken: string;
    readonly heartbeatEveryMs?: number;
  };
  /** Default `<hostname>:<port>`. */
  readonly workerId?: string;
  readonly tenantId?: string;
  readonly clock?: Clock;
  readonly timers?: Timers;
  readonly logger?: Logger;
}

export interface CapstanWorker {
  readonly workerId: string;
  /** The base URL the worker listens on (as advertised to the coordinator). */
  readonly url: string;
  readonly releases: readonly ReleaseIdentity[];
  /** Stops heartbeating, then lets running segments finish before the server closes. */
  stop(): Promise<void>;
}

/**
 * Starts a transition worker: builds the releases of its pipelines (the same release versions
 * a coordinator builds from the same sources), serves the signed REST worker protocol, and,
 * given a coordinator, registers itself there and heartbeats.
 */
export async function createWorker(options: CreateWorkerOptions): Promise<CapstanWorker> {
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const logger = options.logger ?? silentLogger;
  if (options.pipelines.length === 0) throw new Error('a worker needs at least one pipeline');
  if (!options.keys && !options.secret && Object.keys(options.secrets ?? {}).length === 0)
    throw new Error('a worker needs a shared secret: the protocol is never served unsigned');
  const keys = options.keys ?? new KeyRing({ defaultSecret: options.secret, keys: options.secrets ?? {} });
  const releases = await buildWorkerReleases(options.pipelines);
  const hosted = new HostedReleases(options.tenantId ?? 'default', releases);
  const host = options.rest.host ?? '0.0.0.0';
  // The default id includes the port, known only once the server listens.
  let workerId = options.workerId ?? '';
  const verifier = new RequestVerifier({ keys, clock, toleranceMs: options.signatureToleranceMs ?? 120_000 });
  const server = createRestWorkerServer({
    hosted,
    keys,
    verifier,
    clock,
    logger,
    workerId: () => workerId,
  });
  await server.listen({ port: options.rest.port, host });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.rest.port;
  workerId ||= `${hostname()}:${port}`;
  const reachableHost = host === '0.0.0.0' || host === '::' ? hostname() : host;
  const url = (
    options.rest.advertisedUrl ??
    `http://${reachableHost.includes(':') ? `[${reachableHost}]` : reachableHost}:${port}`
  ).replace(/\/+$/, '');
  const link = options.coordinator
    ? new CoordinatorLink({
        url: options.coordinator.url,
        workerToken: options.coordinator.workerToken,
        tenantId: hosted.tenantId,
        workerId,
        endpoint: url,
        releases,
        heartbeatEveryMs: options.coordinator.heartbeatEveryMs ?? 30_000,
        timers,
        logger,
      })
    : undefined;
  link?.start();
  logger.info(
    {
      workerId,
      url,
      releases: releases.map((r) => `${r.pipelineId}@${r.releaseVersion}`),
    },
    'worker ready',
  );
  return {
    workerId,
    url,
    releases: releases.map(({ pipeline: _pipeline, ...identityOfRelease }) => identityOfRelease),
    async stop() {
      await link?.stop();
      await server.close();
    },
  };
}
