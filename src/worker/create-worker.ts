import { hostname } from 'node:os';
import type { LocalPipelineSource } from '../releases/load-pipelines.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import { systemTimers, type Timers } from '../runtime/timers.ts';
import type { Pipeline } from '../sdk/define-pipeline.ts';
import type { ReleaseIdentity } from '../worker-protocol/envelopes.ts';
import { KeyRing } from '../worker-protocol/key-ring.ts';
import { RequestVerifier } from '../worker-protocol/request-verifier.ts';
import { CoordinatorLink } from './coordinator-link.ts';
import { PullLoop } from './pull-loop.ts';
import { buildWorkerReleases, HostedReleases, type WorkerRelease } from './hosted-releases.ts';
import type { Tracing } from '../tracing/tracing.ts';
import type { SegmentQueueLink } from '../brokers/segment-queue-link.ts';

type Protocol = 'rest' | 'grpc' | 'pull' | 'queue';

export interface CreateWorkerOptions {
  /** The pipelines to host: pipeline objects, or `{pipeline, sourceFile}` as `--pipelines` loads them. */
  readonly pipelines?: readonly (Pipeline | LocalPipelineSource)[];
  /** Releases already identified, e.g. loaded from a registered artifact (`releaseFromArtifact`). */
  readonly releases?: readonly WorkerRelease[];
  /** The REST server: port 0 picks a free one. `advertisedUrl` is what the coordinator calls. */
  readonly rest?: { readonly port: number; readonly host?: string; readonly advertisedUrl?: string };
  /**
   * The gRPC server, beside or instead of REST: port 0 picks a free one; `advertisedEndpoint`
   * (`host:port`) is what the coordinator calls. When it is served, the worker registers over
   * gRPC. `keys` default to the REST ones (TPF configures one secret per protocol).
   */
  readonly grpc?: {
    readonly port: number;
    readonly host?: string;
    readonly advertisedEndpoint?: string;
    readonly keys?: KeyRing;
    readonly signatureToleranceMs?: number;
    /** The largest request accepted; default 4 MiB. */
    readonly maxInboundMessageBytes?: number;
  };
  /**
   * Pull instead of serving (docs/pull-workers.md): the worker asks `coordinator` for segments,
   * `slots` at a time at most, and serves no protocol (no port, no shared secret needed).
   */
  readonly pull?: { readonly slots: number; readonly waitMs?: number };
  /**
   * The queue worker protocol (docs/queue-workers.md), beside or instead of REST and gRPC: the
   * worker consumes `group`'s request queue over `link` and replies to the node each request
   * names. When it is served, the worker registers as a queue worker with `group` as endpoint.
   * `keys` default to the REST ones. The link is closed when the worker stops.
   */
  readonly queue?: {
    readonly link: SegmentQueueLink;
    readonly group: string;
    readonly keys?: KeyRing;
    readonly signatureToleranceMs?: number;
  };
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
  /**
   * How long one try of a step without its own `timeout` may run (`capstan.step-timeout`);
   * the segment runner's default (5 minutes) when absent.
   */
  readonly stepTimeoutMs?: number | undefined;
  /**
   * Where the worker's segment and step spans go (`startTracing`, docs/tracing.md): they
   * continue the trace the coordinator sends with each call. Default: none recorded.
   */
  readonly tracing?: Tracing;
}

export interface CapstanWorker {
  readonly workerId: string;
  /** The REST base URL, as advertised to the coordinator; undefined when REST is not served. */
  readonly url: string | undefined;
  /** The gRPC `host:port`, as advertised to the coordinator; undefined when gRPC is not served. */
  readonly grpcEndpoint: string | undefined;
  /** The request queue it consumes; undefined when the queue protocol is not served. */
  readonly queueGroup: string | undefined;
  /** The protocol it registers with (queue when it serves the queue protocol, else gRPC when it serves gRPC; `pull` when it pulls). */
  readonly protocol: Protocol;
  readonly releases: readonly ReleaseIdentity[];
  /** Stops heartbeating, then lets running segments finish before the server closes. */
  stop(): Promise<void>;
}

/**
 * Starts a transition worker: builds the releases of its pipelines (the same release versions
 * a coordinator builds from the same sources), serves the signed worker protocol over REST,
 * gRPC or both, and, given a coordinator, registers itself there and heartbeats.
 */
export async function createWorker(options: CreateWorkerOptions): Promise<CapstanWorker> {
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const logger = options.logger ?? silentLogger;
  if (!options.pipelines?.length && !options.releases?.length)
    throw new Error('a worker needs at least one pipeline');
  if (options.pull) return createPullWorker(options, options.pull, { clock, timers, logger });
  if (!options.rest && !options.grpc && !options.queue)
    throw new Error('a worker serves REST, gRPC or a queue (or several of them)');
  const given = options.keys ?? options.queue?.keys;
  if (!given && !options.secret && Object.keys(options.secrets ?? {}).length === 0)
    throw new Error('a worker needs a shared secret: the protocol is never served unsigned');
  const keys = given ?? new KeyRing({ defaultSecret: options.secret, keys: options.secrets ?? {} });
  const releases = await buildWorkerReleases(options.pipelines ?? [], options.releases);
  const hosted = new HostedReleases(options.tenantId ?? 'default', releases);
  const served: ('rest' | 'grpc')[] = [
    ...(options.rest ? ['rest' as const] : []),
    ...(options.grpc ? ['grpc' as const] : []),
  ];
  // The default id includes a port, known only once the servers listen.
  let workerId = options.workerId ?? '';
  const toleranceMs = options.signatureToleranceMs ?? 120_000;
  const rest = options.rest && (await serveRest(options.rest));
  const grpc = options.grpc && (await serveGrpc(options.grpc));
  workerId ||= `${hostname()}:${rest?.port ?? grpc?.port ?? `pid${process.pid}`}`;
  const url = rest?.url;
  const grpcEndpoint = grpc?.endpoint;
  const queueGroup = options.queue?.group;
  if (options.queue) await serveQueue(options.queue);
  const protocol: Protocol = queueGroup !== undefined ? 'queue' : grpcEndpoint ? 'grpc' : 'rest';
  const endpoint = queueGroup ?? grpcEndpoint ?? url ?? '';
  const linkKeys =
    protocol === 'queue'
      ? (options.queue?.keys ?? keys)
      : protocol === 'grpc'
        ? (options.grpc?.keys ?? keys)
        : keys;
  const link = options.coordinator
    ? new CoordinatorLink({
        url: options.coordinator.url,
        workerToken: options.coordinator.workerToken,
        tenantId: hosted.tenantId,
        workerId,
        protocol,
        endpoint,
        releases,
        heartbeatEveryMs: options.coordinator.heartbeatEveryMs ?? 30_000,
        timers,
        logger,
        keys: linkKeys,
        clock,
      })
    : undefined;
  link?.start();
  logger.info(
    {
      workerId,
      url,
      grpcEndpoint,
      queueGroup,
      releases: releases.map((r) => `${r.pipelineId}@${r.releaseVersion}`),
    },
    'worker ready',
  );
  return {
    workerId,
    url,
    grpcEndpoint,
    queueGroup,
    protocol,
    releases: releases.map(({ pipeline: _pipeline, ...identityOfRelease }) => identityOfRelease),
    async stop() {
      await link?.stop();
      // The queue link waits for the segments it is running, as the servers do.
      await Promise.all([rest?.close(), grpc?.close(), options.queue?.link.close()]);
    },
  };

  async function serveQueue(o: NonNullable<CreateWorkerOptions['queue']>) {
    const { consumeSegmentQueue } = await import('./queue-consumer.ts');
    const queueKeys = o.keys ?? keys;
    await consumeSegmentQueue({
      link: o.link,
      group: o.group,
      hosted,
      keys: queueKeys,
      verifier: new RequestVerifier({
        keys: queueKeys,
        clock,
        toleranceMs: o.signatureToleranceMs ?? toleranceMs,
      }),
      clock,
      timers,
      logger,
      workerId: () => workerId,
      stepTimeoutMs: options.stepTimeoutMs,
      tracing: options.tracing,
    });
  }

  async function serveRest(o: NonNullable<CreateWorkerOptions['rest']>) {
    const host = o.host ?? '127.0.0.1';
    const verifier = new RequestVerifier({ keys, clock, toleranceMs });
    // Loaded only by workers that serve REST: a gRPC-only worker never pulls in fastify.
    const { createRestWorkerServer } = await import('./rest-server.ts');
    const server = createRestWorkerServer({
      hosted,
      keys,
      verifier,
      clock,
      logger,
      workerId: () => workerId,
      servedProtocols: served,
      ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
      ...(options.tracing ? { tracing: options.tracing } : {}),
    });
    await server.listen({ port: o.port, host });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : o.port;
    const url = (o.advertisedUrl ?? `http://${hostPart(reachable(host))}:${port}`).replace(/\/+$/, '');
    return { port, url, close: () => server.close() };
  }

  async function serveGrpc(o: NonNullable<CreateWorkerOptions['grpc']>) {
    // Loaded only by workers that serve gRPC: the others never pull in grpc-js.
    const { createGrpcWorkerServer } = await import('./grpc-server.ts');
    const host = o.host ?? '127.0.0.1';
    const grpcKeys = o.keys ?? keys;
    const server = createGrpcWorkerServer({
      hosted,
      keys: grpcKeys,
      verifier: new RequestVerifier({
        keys: grpcKeys,
        clock,
        toleranceMs: o.signatureToleranceMs ?? toleranceMs,
      }),
      clock,
      logger,
      workerId: () => workerId,
      servedProtocols: served,
      ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
      ...(options.tracing ? { tracing: options.tracing } : {}),
      ...(o.maxInboundMessageBytes ? { maxInboundMessageBytes: o.maxInboundMessageBytes } : {}),
    });
    const port = await server.listen(host, o.port);
    return {
      port,
      endpoint: o.advertisedEndpoint ?? `${hostPart(reachable(host))}:${port}`,
      close: () => server.close(),
    };
  }
}

/**
 * A worker that pulls its segments: it registers its releases with protocol `pull` and runs
 * what its polls bring, on the same executor as a serving worker.
 */
async function createPullWorker(
  options: CreateWorkerOptions,
  pull: NonNullable<CreateWorkerOptions['pull']>,
  runtime: { clock: Clock; timers: Timers; logger: Logger },
): Promise<CapstanWorker> {
  const { coordinator } = options;
  if (!coordinator) throw new Error('a pull worker needs a coordinator to pull from');
  if (options.rest || options.grpc) throw new Error('a pull worker serves no protocol: drop rest and grpc');
  const releases = await buildWorkerReleases(options.pipelines ?? [], options.releases);
  const hosted = new HostedReleases(options.tenantId ?? 'default', releases);
  const workerId = options.workerId ?? `${hostname()}:pull:${process.pid}`;
  const link = new CoordinatorLink({
    url: coordinator.url,
    workerToken: coordinator.workerToken,
    tenantId: hosted.tenantId,
    workerId,
    protocol: 'pull',
    // The coordinator never calls it: the endpoint only names it, and stays the same across restarts.
    endpoint: `pull:${workerId}`,
    releases,
    heartbeatEveryMs: coordinator.heartbeatEveryMs ?? 30_000,
    timers: runtime.timers,
    logger: runtime.logger,
    clock: runtime.clock,
    ...(options.keys ? { keys: options.keys } : {}),
  });
  const loop = new PullLoop({
    url: coordinator.url,
    workerToken: coordinator.workerToken,
    workerId,
    hosted,
    slots: pull.slots,
    ...(pull.waitMs === undefined ? {} : { waitMs: pull.waitMs }),
    timers: runtime.timers,
    logger: runtime.logger,
    stepTimeoutMs: options.stepTimeoutMs,
    tracing: options.tracing?.enabled ? { tracing: options.tracing, workerId: () => workerId } : undefined,
  });
  link.start();
  loop.start();
  runtime.logger.info(
    {
      workerId,
      coordinator: coordinator.url,
      slots: pull.slots,
      releases: releases.map((r) => `${r.pipelineId}@${r.releaseVersion}`),
    },
    'pull worker ready',
  );
  return {
    workerId,
    url: undefined,
    grpcEndpoint: undefined,
    queueGroup: undefined,
    protocol: 'pull',
    releases: releases.map(({ pipeline: _pipeline, ...identityOfRelease }) => identityOfRelease),
    async stop() {
      await link.stop();
      await loop.stop();
    },
  };
}

/** A wildcard address is no address to call: the coordinator calls the host name instead. */
const reachable = (host: string): string => (host === '0.0.0.0' || host === '::' ? hostname() : host);
const hostPart = (host: string): string => (host.includes(':') ? `[${host}]` : host);
