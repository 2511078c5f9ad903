import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { AccessTokens } from '../../src/config/access-tokens.ts';
import { createHttpServer, type HttpOptions } from '../../src/http/create-http-server.ts';
import { LocalArtifactStore } from '../../src/releases/local-artifact-store.ts';
import { ReleaseRegistrar } from '../../src/releases/release-registrar.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { ADMIN_TOKEN, OPERATOR_TOKEN } from './coordinator-process.ts';
import { startEngine, type Engine } from './engine-harness.ts';
import { WORKER_TOKEN } from './worker-process.ts';

/** The three roles' tokens the test servers accept. */
export const TEST_TOKENS: AccessTokens = {
  operator: OPERATOR_TOKEN,
  admin: ADMIN_TOKEN,
  worker: WORKER_TOKEN,
  generated: [],
  origins: { operator: { kind: 'stored' }, admin: { kind: 'stored' }, worker: { kind: 'stored' } },
};

/**
 * The whole HTTP API over an in-process engine on SQLite, every surface on, not yet listening;
 * closed after the test. `setup` runs right after the server is made, before its plugins load
 * (an `onRoute` hook added any later would miss the routes).
 */
export async function apiServer(
  t: TestContext,
  options: Partial<HttpOptions> = {},
  setup: (app: FastifyInstance) => void = () => {},
): Promise<FastifyInstance> {
  return apiServerOn(t, await startEngine(t, []), options, setup);
}

/** The same over a given engine: one hosting pipelines, whose clock and ticks the test drives. */
export async function apiServerOn(
  t: TestContext,
  engine: Engine,
  options: Partial<HttpOptions> = {},
  setup: (app: FastifyInstance) => void = () => {},
): Promise<FastifyInstance> {
  const artifactsDir = mkdtempSync(join(tmpdir(), 'capstan-api-'));
  t.after(() => rmSync(artifactsDir, { recursive: true, force: true }));
  const app = createHttpServer({
    coordinator: engine.coordinator,
    tokens: TEST_TOKENS,
    logger: silentLogger,
    bodyLimitBytes: 1_048_576,
    registrar: new ReleaseRegistrar({
      store: engine.store,
      artifacts: new LocalArtifactStore(artifactsDir),
      catalog: engine.coordinator.catalog,
      clock: engine.time,
      allowedRoots: [],
    }),
    uploadLimitBytes: 1_048_576,
    allowedTenants: new Set(),
    controlPlaneEnabled: true,
    adminEnabled: true,
    ...options,
  });
  setup(app);
  t.after(() => app.close());
  return app;
}
