import assert from 'node:assert/strict';
import { test } from 'node:test';
import { databaseWithAsyncCommit } from '../support/async-commit-database.ts';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { newOrder } from '../support/restaurant-order.ts';

// `capstan serve` on a database whose default is `synchronous_commit = off`: it starts, its
// store connections run with it on (the ready line reports what the pool's connection says),
// and it acknowledges writes on them.

test('capstan serve on a database with synchronous_commit=off runs its connections with it on', async (t) => {
  const url = await databaseWithAsyncCommit(t);
  const coordinator = await startCoordinatorProcess(t, {
    env: {
      PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
      PIPELINE_ORCHESTRATOR_POSTGRES_URL: url,
      PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: 'capstan',
      PIPELINE_ORCHESTRATOR_POSTGRES_POOL_SIZE: '3',
    },
  });
  // The ready line follows the banner: poll the output for it, up to a deadline.
  const readyLine = () =>
    coordinator
      .output()
      .split('\n')
      .map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {}))
      .find((entry) => entry.msg === 'coordinator ready');
  const deadline = Date.now() + 15_000;
  while (!readyLine() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(readyLine()?.durability, { synchronous_commit: 'on' });
  const api = apiClient(coordinator.baseUrl);
  const submitted = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  await coordinator.kill('SIGTERM');
});
