import { hostname } from 'node:os';
import { openAwaitTransports } from '../../config/await-transports-config.ts';
import { DLQ_TOPIC } from '../../dlq/dead-letter.ts';
import { logDlqSink } from '../../dlq/outbox-relay.ts';
import { join, resolve } from 'node:path';
import { resolveAccessTokens } from '../../config/access-tokens.ts';
import { loadConfig } from '../../config/load-config.ts';
import { ConfigError } from '../../errors/config-error.ts';
import { flagsOf, type ServeOptions } from '../command-options.ts';
import type { Coordinator } from '../../coordinator/coordinator.ts';
import { hostLiveReleases, liveReleaseLines } from '../../coordinator/host-live-releases.ts';
import type { ArtifactStore } from '../../releases/artifact-store.ts';
import type { LocalPipelineSource } from '../../releases/load-pipelines.ts';
import type { Logger } from '../../runtime/logger.ts';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  WorkerRegistry,
} from '../../coordinator/index.ts';
import { engineConfigOf } from '../../config/engine-settings.ts';
import { createHttpServer } from '../../http/create-http-server.ts';
import { openArtifactStore } from '../../releases/open-artifact-store.ts';
import { ReleaseRegistrar } from '../../releases/release-registrar.ts';
import { systemClock } from '../../runtime/clock.ts';
import { createLogger } from '../../runtime/create-logger.ts';
import { openStore, storeLogFields } from '../../store/open-store.ts';
import { StoreNotDurableError } from '../../store/store-not-durable.ts';
import { migratesOnStart } from '../../store/prepare-schema.ts';
import { makePrivateDir } from '../../util/private-files.ts';
import { firstContact, schemaTooNew, storeTarget, unreachable } from '../store-errors.ts';
import { loadPipelines } from '../../releases/load-pipelines.ts';
import { EndpointAllowList } from '../../coordinator/workers/endpoint-allow-list.ts';
import { WorkerRegistrationPolicy } from '../../coordinator/workers/worker-registration-policy.ts';
import { remoteWorkerSetup } from '../../config/remote-workers.ts';
import { openQueueTransport } from '../../config/worker-queue-config.ts';
import { printBanner } from '../serve-banner.ts';
import { stopOnSignals } from '../stop-on-signals.ts';
import { collectDefaultMetrics } from 'prom-client';
import { listenForMetrics } from '../../metrics/metrics-routes.ts';
import { startTracing } from '../../tracing/start-tracing.ts';
import { tracingOptionsOf } from '../../config/tracing-config.ts';

const listOf = (csv: string): string[] =>
  csv
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** A started coordinator, for the commands that run one (`serve`, `dev`). */
export interface RunningCoordinator {
  readonly coordinator: Coordinator;
  readonly localWorker: LocalWorker | undefined;
  readonly artifacts: ArtifactStore;
  readonly tenantId: string;
  readonly dataDir: string;
  readonly logger: Logger;
  /** Stops serving, the coordinator and the store, in that order. */
  close(): Promise<void>;
}

/** Runs a coordinator until SIGINT or SIGTERM. */
export async function serve(options: ServeOptions): Promise<void> {
  const signals = stopOnSignals();
  const running = await startCoordinator(options);
  // The process's own metrics (CPU, memory, event loop lag, GC), once: `serve` runs one
  // coordinator per process, so they belong to its registry.
  collectDefaultMetrics({ register: running.coordinator.metrics.registry, prefix: 'capstan_' });
  signals.attach(running);
}

/**
 * Starts a coordinator: its store, the local worker hosting `--pipelines` (built, registered and
 * activated) and every release that still has live executions, then the HTTP API and the banner.
 */
export async function startCoordinator(
  options: ServeOptions,
  sources?: readonly LocalPipelineSource[],
): Promise<RunningCoordinator> {
  const config = loadConfig({ file: options.config, flags: flagsOf(options) });
  const { values } = config;
  const logger = createLogger({
    level: values['capstan.log-level'],
    format: values['capstan.log-format'],
    service: 'capstan',
  });
  const dataDir = resolve(values['capstan.data-dir']);
  const port = values['capstan.port'];
  const nodeId = values['capstan.node-id'] ?? `${hostname()}:${port}`;
  const strict = values['pipeline.orchestrator.strict-startup'];
  // Owner-only when this start creates it: it holds the database, tokens and artifacts.
  makePrivateDir(dataDir);

  const tokens = resolveAccessTokens({
    operatorRef: values['pipeline.orchestrator.control-plane.admin-token-ref'],
    adminRef: values['pipeline.orchestrator.admin.admin-token-ref'],
    workerRef: values['pipeline.orchestrator.worker.token-ref'],
    dataDir,
  });
  const warnings: string[] = [...config.warnings];
  if (tokens.generated.length > 0)
    warnings.push(`generated ${tokens.generated.join(' and ')} token(s) in ${join(dataDir, 'tokens.json')}`);
  if (values['capstan.durability'] === 'relaxed')
    warnings.push('durability=relaxed: a power loss may lose the last commits');
  if (strict && warnings.length > 0)
    throw new ConfigError(warnings.map((w) => `strict-startup refuses: ${w}`));
  for (const warning of warnings) logger.warn({}, warning);

  const { restWorkers, grpcWorkers, queueWorkers, hostLocally, registrationKeys } = remoteWorkerSetup(values);
  const workerRegistration = new WorkerRegistrationPolicy({
    ...registrationKeys,
    allowList: new EndpointAllowList(listOf(values['capstan.workers.allowed-endpoints'])),
    clock: systemClock,
  });
  // Before the database: a store that cannot be configured stops the start with nothing opened.
  const artifacts = await openArtifactStore(values, { dataDir });
  const store = await openStore(values, { dataDir });
  const tracing = await startTracing(tracingOptionsOf(values, 'capstan', nodeId));
  if (tracing.enabled) logger.info({ endpoint: values['capstan.tracing.endpoint'] }, 'tracing enabled');
  const workers = new WorkerRegistry();
  const localWorker = hostLocally ? new LocalWorker(`${nodeId}/local`) : undefined;
  if (localWorker) workers.add(localWorker);
  // Before the coordinator: a configured broker that cannot be reached stops the start.
  const awaitTransports = await openAwaitTransports(values, {
    logger,
    defaultCallbackBaseUrl: `http://${values['capstan.host']}:${port}`,
  }).catch(async (error: unknown) => {
    await store.close().catch(() => undefined);
    throw error;
  });
  // Before the coordinator too: its replies are consumed from its first dispatch on.
  const queueTransport = queueWorkers
    ? await openQueueTransport(queueWorkers, nodeId, logger).catch(async (error: unknown) => {
        await awaitTransports.stop();
        await store.close().catch(() => undefined);
        throw error;
      })
    : undefined;
  const coordinator = createCoordinator({
    store,
    logger,
    workers,
    sinks: new Map([[DLQ_TOPIC, logDlqSink(logger)], ...awaitTransports.sinks()]),
    config: engineConfigOf(values, nodeId),
    ...(restWorkers ? { restWorkers } : {}),
    ...(grpcWorkers ? { grpcWorkers } : {}),
    ...(queueTransport
      ? {
          queueWorkers: {
            transport: queueTransport,
            tenantId: values['pipeline.orchestrator.default-tenant'],
            broker: queueWorkers?.broker,
          },
        }
      : {}),
    workerRegistration,
    tracing,
  });
  // SQLite belongs to this process alone, so it always migrates; PostgreSQL may leave it to `capstan migrate`.
  const migrate = migratesOnStart(values, store);
  const target = storeTarget(values, store, dataDir);
  try {
    await firstContact(store, store.ping(), target);
    awaitTransports.observe(coordinator.metrics.registry);
    await coordinator.start({ migrate });
  } catch (error) {
    void awaitTransports.stop();
    void queueTransport?.stop();
    // Not awaited: a pool still waiting for a connection would hold the exit up.
    void store.close().catch(() => undefined);
    void tracing.shutdown().catch(() => undefined);
    // A database whose commits a crash could lose is one to fix before serving (exit 78).
    if (error instanceof StoreNotDurableError) throw new ConfigError([`${target}: ${error.message}`]);
    throw schemaTooNew(error, target) ?? unreachable(store, error, target) ?? error;
  }
  const tenantId = values['pipeline.orchestrator.default-tenant'];
  const toHost = sources ?? (options.pipelines?.length ? await loadPipelines(options.pipelines) : []);
  const hosted =
    toHost.length > 0
      ? await hostLocalPipelines(coordinator, localWorker, toHost, { tenantId, nowMs: Date.now(), artifacts })
      : [];
  // After the current releases: whatever else still has live executions is kept from its artifact.
  const live = await hostLiveReleases(coordinator, localWorker, {
    tenantId,
    nowMs: Date.now(),
    artifacts,
    unpackDir: join(dataDir, 'releases'),
  });
  for (const k of live.kept)
    logger.info(
      { pipelineId: k.pipelineId, releaseVersion: k.releaseVersion, liveExecutions: k.live },
      'release kept for its live executions',
    );
  const liveLines = liveReleaseLines(live);
  for (const warning of liveLines.warnings) logger.warn({}, warning);
  coordinator.wake();
  // After the releases are hosted: a completion validates against its await step's schema.
  await awaitTransports.start(coordinator);
  if (awaitTransports.names.length > 0)
    logger.info({ transports: awaitTransports.names }, 'await transports ready');

  const registrar = new ReleaseRegistrar({
    store,
    artifacts,
    catalog: coordinator.catalog,
    clock: systemClock,
    allowedRoots: listOf(values['capstan.releases.allowed-roots']).map((root) => resolve(root)),
    archiveLimits: {
      maxUnpackedBytes: values['capstan.releases.archive.max-unpacked-bytes'],
      maxEntries: values['capstan.releases.archive.max-entries'],
      maxEntryBytes: values['capstan.releases.archive.max-entry-bytes'],
    },
  });
  const allowed = values['pipeline.orchestrator.tenancy.allowed-tenants'];
  const http = createHttpServer({
    coordinator,
    tokens,
    logger,
    bodyLimitBytes: values['capstan.http.body-limit-bytes'],
    registrar,
    uploadLimitBytes: values['capstan.releases.upload-limit-bytes'],
    allowedTenants: new Set(listOf(allowed)),
    controlPlaneEnabled: values['pipeline.orchestrator.control-plane.enabled'],
    adminEnabled: values['pipeline.orchestrator.admin.enabled'],
    maxJsonDepth: values['capstan.http.max-json-depth'],
    maxLongPolls: values['capstan.http.max-long-polls'],
    submitRatePerSecond: values['capstan.http.submit-rate-per-second'],
    consoleEnabled: values['capstan.console.enabled'],
    awaitTransports,
  });
  const address = await http.listen({ port, host: values['capstan.host'] });
  coordinator.announceAddress(address);
  const metricsPort = values['capstan.metrics.port'];
  const metricsListener =
    metricsPort === undefined
      ? undefined
      : await listenForMetrics(coordinator.metrics, {
          port: metricsPort,
          host: values['capstan.metrics.host'],
        });
  if (metricsListener) logger.info({ address: metricsListener.address }, 'metrics served without a token');
  printBanner({
    address,
    dataDir,
    tokens,
    hosted,
    tenantId,
    ...liveLines,
    console: values['capstan.console.enabled'],
  });
  logger.info(
    {
      address,
      nodeId,
      dataDir,
      ...storeLogFields(store),
      durability: await store.durabilitySettings(),
      ...artifacts.description,
      pipelines: hosted,
    },
    'coordinator ready',
  );

  return {
    coordinator,
    localWorker,
    artifacts,
    tenantId,
    dataDir,
    logger,
    close: async () => {
      await http.close();
      await metricsListener?.close();
      await awaitTransports.stop();
      await coordinator.stop();
      await store.close();
      // After the coordinator: the spans of its last segments are exported too.
      await tracing.shutdown();
    },
  };
}
