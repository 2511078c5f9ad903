import { loadConfig } from '../../config/load-config.ts';
import { createLogger } from '../../runtime/create-logger.ts';
import { ConfigError } from '../../errors/config-error.ts';
import { resolveSecretRef } from '../../config/secret-ref.ts';
import { parseIsoDuration } from '../../util/iso-duration.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { CliError, localCodes } from '../../errors/cli-error.ts';
import { loadPipelines } from '../../releases/load-pipelines.ts';
import { flagsOf, type WorkerOptions } from '../command-options.ts';
import { registeredReleasesToHost } from '../worker-releases.ts';
import { listeningLines, workerServers } from '../../config/worker-servers.ts';
import { openSegmentQueue, queueProtocolConfig } from '../../config/worker-queue-config.ts';
import { startTracing } from '../../tracing/start-tracing.ts';
import { tracingOptionsOf } from '../../config/tracing-config.ts';

/** The coordinator's worker token: the flag, else CAPSTAN_WORKER_TOKEN, else the configured ref. */
function workerTokenOf(options: WorkerOptions, ref: string | undefined): string | undefined {
  const literal = options.workerToken ?? process.env.CAPSTAN_WORKER_TOKEN;
  if (literal) return literal;
  if (!ref) return undefined;
  try {
    return resolveSecretRef(ref);
  } catch (error) {
    throw new ConfigError([`pipeline.orchestrator.worker.token-ref: ${(error as Error).message}`]);
  }
}

/** Runs a worker until SIGINT or SIGTERM. */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const config = loadConfig({
    file: options.config,
    flags: {
      ...flagsOf(options),
      'capstan.worker.coordinator-url': options.coordinatorUrl,
      'capstan.worker.pull-url': options.pull,
      'capstan.worker.pull-slots': options.slots,
      ...(options.queue === undefined ? {} : { 'pipeline.orchestrator.worker.queue.broker': options.queue }),
      ...(options.queueGroup === undefined
        ? {}
        : { 'pipeline.orchestrator.worker.queue.group': options.queueGroup }),
      ...(options.grpcPort === undefined
        ? {}
        : {
            'capstan.worker.grpc-port': options.grpcPort,
            'pipeline.orchestrator.worker.grpc.server-enabled': 'true',
          }),
    },
  });
  const { values } = config;
  const logger = createLogger({
    level: values['capstan.log-level'],
    format: values['capstan.log-format'],
    service: 'capstan-worker',
  });
  for (const warning of config.warnings) logger.warn({}, warning);
  const pullUrl = values['capstan.worker.pull-url'];
  // A pull worker serves nothing: no port, no shared secret; the coordinator it pulls from is the one it registers with.
  const servers = pullUrl ? {} : workerServers(config);
  const queueConfig = queueProtocolConfig(values);
  if (values['pipeline.orchestrator.worker.queue.broker'] && !queueConfig)
    throw new ConfigError([
      'pipeline.orchestrator.worker.queue.broker is set, but no pipeline.orchestrator.worker.queue.shared-secret-ref: the protocol is never served unsigned',
    ]);
  const coordinatorUrl = pullUrl ?? values['capstan.worker.coordinator-url'];
  const workerToken = workerTokenOf(options, values['pipeline.orchestrator.worker.token-ref']);
  if (coordinatorUrl && !workerToken)
    throw new ConfigError([
      'capstan.worker.coordinator-url is set, but no worker token: --worker-token, CAPSTAN_WORKER_TOKEN or pipeline.orchestrator.worker.token-ref',
    ]);
  const tenantId = values['pipeline.orchestrator.default-tenant'];
  const wanted = { releases: options.release ?? [], digests: options.artifactDigest ?? [] };
  const context = { values, coordinatorUrl, workerToken, tenantId, logger };
  const registered = await registeredReleasesToHost(wanted, context);
  if (!options.pipelines?.length && registered.length === 0)
    throw new CliError(localCodes.invalidArgument, 'give --pipelines, --release or --artifact-digest');
  const tracing = await startTracing(tracingOptionsOf(values, 'capstan-worker', values['capstan.node-id']));
  if (tracing.enabled) logger.info({ endpoint: values['capstan.tracing.endpoint'] }, 'tracing enabled');
  const pipelines = options.pipelines?.length ? await loadPipelines(options.pipelines) : [];
  // Last before the worker: a broker that cannot be reached stops the start.
  const queue = queueConfig && {
    link: await openSegmentQueue(queueConfig, logger),
    group: queueConfig.group,
    keys: queueConfig.keys,
    signatureToleranceMs: queueConfig.toleranceMs,
  };
  const worker = await createWorker({
    pipelines,
    releases: registered,
    ...servers,
    ...(pullUrl
      ? {
          pull: {
            slots: values['capstan.worker.pull-slots'],
            waitMs: parseIsoDuration(values['capstan.worker.pull-wait']) ?? 30_000,
          },
        }
      : {}),
    ...(queue ? { queue } : {}),
    ...(coordinatorUrl && workerToken
      ? {
          coordinator: {
            url: coordinatorUrl,
            workerToken,
            heartbeatEveryMs: parseIsoDuration(values['capstan.worker.heartbeat-interval']) ?? 30_000,
          },
        }
      : {}),
    ...(values['capstan.node-id'] ? { workerId: values['capstan.node-id'] } : {}),
    // The same default for steps without their own `timeout` as the coordinator's local worker.
    stepTimeoutMs: parseIsoDuration(values['capstan.step-timeout']),
    tenantId,
    logger,
    tracing,
  });
  const listening = pullUrl
    ? {
        lines: [
          `Capstan worker ${worker.workerId} pulling from ${pullUrl} (${values['capstan.worker.pull-slots']} slots)`,
        ],
        targetKey: 'worker.pull-url',
      }
    : listeningLines(worker);
  // The banner is text for a person on stderr; stdout carries log records only.
  process.stderr.write(
    `${[
      '',
      ...listening.lines,
      ...worker.releases.map((r) => `  pipeline        ${r.pipelineId} @ ${r.releaseVersion}`),
      `  coordinator     ${coordinatorUrl ?? `none (it will not register; list it in the coordinator’s ${listening.targetKey})`}`,
      '',
    ].join('\n')}\n`,
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void worker
      .stop()
      .then(() => tracing.shutdown())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
