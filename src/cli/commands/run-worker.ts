import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../config/load-config.ts';
import { resolveSecretRef } from '../../config/secret-ref.ts';
import { restProtocolConfig } from '../../config/worker-rest-config.ts';
import { parseIsoDuration } from '../../util/iso-duration.ts';
import { createWorker } from '../../worker/create-worker.ts';
import { loadPipelines } from '../load-pipelines.ts';
import { flagsOf } from './serve.ts';
import type { WorkerOptions } from './worker.ts';

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
    flags: { ...flagsOf(options), 'capstan.worker.coordinator-url': options.coordinatorUrl },
  });
  const { values } = config;
  const logger = pino({ level: values['capstan.log-level'], base: { service: 'capstan-worker' } });
  for (const warning of config.warnings) logger.warn({}, warning);
  if (!values['pipeline.orchestrator.worker.rest.server-enabled'])
    throw new ConfigError([
      'pipeline.orchestrator.worker.rest.server-enabled=false leaves this worker no protocol to serve',
    ]);
  const rest = restProtocolConfig(values);
  if (!rest)
    throw new ConfigError([
      'a worker needs pipeline.orchestrator.worker.rest.shared-secret-ref (or …secret-refs): the protocol is never served unsigned',
    ]);
  const coordinatorUrl = values['capstan.worker.coordinator-url'];
  const workerToken = workerTokenOf(options, values['pipeline.orchestrator.worker.token-ref']);
  if (coordinatorUrl && !workerToken)
    throw new ConfigError([
      'capstan.worker.coordinator-url is set, but no worker token: --worker-token, CAPSTAN_WORKER_TOKEN or pipeline.orchestrator.worker.token-ref',
    ]);
  const worker = await createWorker({
    pipelines: await loadPipelines(options.pipelines),
    rest: {
      port: values['capstan.port'],
      host: values['capstan.host'],
      ...(values['capstan.worker.advertised-url']
        ? { advertisedUrl: values['capstan.worker.advertised-url'] }
        : {}),
    },
    keys: rest.keys,
    signatureToleranceMs: rest.toleranceMs,
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
    tenantId: values['pipeline.orchestrator.default-tenant'],
    logger,
  });
  console.log(
    [
      '',
      `Capstan worker ${worker.workerId} listening on ${worker.url}`,
      ...worker.releases.map((r) => `  pipeline        ${r.pipelineId} @ ${r.releaseVersion}`),
      `  coordinator     ${coordinatorUrl ?? 'none (it will not register; list it in the coordinator’s worker.rest.base-url)'}`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void worker.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
