import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { resolveAccessTokens } from '../../config/access-tokens.ts';
import { ConfigError, loadConfig } from '../../config/load-config.ts';
import type { Settings } from '../../config/settings.ts';
import {
  createCoordinator,
  hostLocalPipelines,
  LocalWorker,
  SqliteStore,
  WorkerRegistry,
} from '../../coordinator/index.ts';
import type { EngineConfig } from '../../coordinator/engine-config.ts';
import { createHttpServer } from '../../http/create-http-server.ts';
import { LocalArtifactStore } from '../../releases/local-artifact-store.ts';
import { parseIsoDuration } from '../../util/iso-duration.ts';
import { loadPipelines } from '../load-pipelines.ts';
import { printBanner } from './serve-banner.ts';

interface ServeOptions {
  port?: string;
  host?: string;
  dataDir?: string;
  nodeId?: string;
  pipelines?: string[];
  set?: string[];
}

const ms = (iso: string): number => parseIsoDuration(iso) ?? 0;

export function engineConfigOf(values: Settings, nodeId: string): EngineConfig {
  const p = 'pipeline.orchestrator.';
  return {
    nodeId,
    leaseMs: values[`${p}lease-ms`],
    maxRetries: values[`${p}max-retries`],
    retryDelayMs: ms(values[`${p}retry-delay`]),
    retryMultiplier: values[`${p}retry-multiplier`],
    retryMaxDelayMs: ms(values[`${p}retry-max-delay`]),
    jitter: 0.2,
    sweepIntervalMs: Math.max(1000, ms(values[`${p}sweep-interval`])),
    sweepLimit: values[`${p}sweep-limit`],
    maxInFlight: values[`${p}worker.max-in-flight`],
    executionTtlMs: values[`${p}execution-ttl-days`] * 86_400_000,
    idempotencyPolicy: values[`${p}idempotency-policy`],
    dlqProvider: values[`${p}dlq-provider`],
  };
}

function flagsOf(options: ServeOptions): Record<string, string | undefined> {
  const flags: Record<string, string | undefined> = {
    'capstan.port': options.port,
    'capstan.host': options.host,
    'capstan.data-dir': options.dataDir,
    'capstan.node-id': options.nodeId,
  };
  for (const pair of options.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError([`--set expects key=value, got '${pair}'`]);
    flags[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return flags;
}

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('Run a coordinator (embedded SQLite) with a local worker hosting the given pipelines')
    .option('--port <port>', 'HTTP port (env PORT)', undefined)
    .option('--host <host>', 'address to listen on')
    .option('--data-dir <dir>', 'data directory (env CAPSTAN_DATA_DIR)')
    .option('--node-id <id>', 'this node’s id (env CAPSTAN_NODE_ID)')
    .option('--pipelines <module...>', 'pipeline modules or folders the local worker hosts')
    .option('--set <key=value...>', 'any configuration key, e.g. pipeline.orchestrator.max-retries=0')
    .action(async (options: ServeOptions) => {
      await serve(options);
    });
}

async function serve(options: ServeOptions): Promise<void> {
  const { values } = loadConfig({ flags: flagsOf(options) });
  const logger = pino({ level: values['capstan.log-level'], base: { service: 'capstan' } });
  const dataDir = resolve(values['capstan.data-dir']);
  const port = values['capstan.port'];
  const nodeId = values['capstan.node-id'] ?? `${hostname()}:${port}`;
  const strict = values['pipeline.orchestrator.strict-startup'];

  const tokens = resolveAccessTokens({
    operatorRef: values['pipeline.orchestrator.control-plane.admin-token-ref'],
    adminRef: values['pipeline.orchestrator.admin.admin-token-ref'],
    dataDir,
  });
  const warnings: string[] = [];
  if (tokens.generated.length > 0)
    warnings.push(`generated ${tokens.generated.join(' and ')} token(s) in ${join(dataDir, 'tokens.json')}`);
  if (values['capstan.durability'] === 'relaxed')
    warnings.push('durability=relaxed: a power loss may lose the last commits');
  if (strict && warnings.length > 0)
    throw new ConfigError(warnings.map((w) => `strict-startup refuses: ${w}`));
  for (const warning of warnings) logger.warn({}, warning);

  const store = new SqliteStore({
    file: join(dataDir, 'capstan.db'),
    durability: values['capstan.durability'],
  });
  const workers = new WorkerRegistry();
  const localWorker = new LocalWorker(`${nodeId}/local`);
  workers.add(localWorker);
  const coordinator = createCoordinator({ store, logger, workers, config: engineConfigOf(values, nodeId) });
  await coordinator.start();
  const tenantId = values['pipeline.orchestrator.default-tenant'];
  const hosted = options.pipelines?.length
    ? await hostLocalPipelines(coordinator, localWorker, await loadPipelines(options.pipelines), {
        tenantId,
        nowMs: Date.now(),
        artifacts: new LocalArtifactStore(join(dataDir, 'artifacts')),
      })
    : [];
  coordinator.wake();

  const allowed = values['pipeline.orchestrator.tenancy.allowed-tenants'];
  const http = createHttpServer({
    coordinator,
    tokens,
    logger,
    bodyLimitBytes: values['capstan.http.body-limit-bytes'],
    allowedTenants: new Set(
      allowed
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
    controlPlaneEnabled: values['pipeline.orchestrator.control-plane.enabled'],
    adminEnabled: values['pipeline.orchestrator.admin.enabled'],
  });
  const address = await http.listen({ port, host: values['capstan.host'] });
  printBanner({ address, dataDir, tokens, hosted, tenantId });
  logger.info(
    { address, nodeId, dataDir, sqliteDriver: store.driver, pipelines: hosted },
    'coordinator ready',
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void (async () => {
      await http.close();
      await coordinator.stop();
      await store.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
