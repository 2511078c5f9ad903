import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/runtime/logger.ts';
import { ProviderMock } from '../../src/tools/provider-mock.ts';
import { BrokerScope, brokerKinds } from '../support/await-brokers.ts';
import { apiClient, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { until } from '../support/eventually.ts';

// `capstan serve` with an await transport enabled by configuration: the process connects to the
// broker, relays the request, consumes the completion, and the execution succeeds.

const ROOT = join(import.meta.dirname, '../..');

for (const kind of brokerKinds) {
  test(`[${kind}] capstan serve runs an await over ${kind} configured from the environment`, async (t) => {
    const scope = new BrokerScope(t, kind);
    const names = await scope.env();
    const coordinator = await startCoordinatorProcess(t, {
      pipelines: [join(ROOT, 'test/fixtures/payment-pipeline/pipeline.ts')],
      env: { ...names, CAPSTAN_TEST_AWAIT_TRANSPORT: kind },
    });
    const link = await scope.open(silentLogger);
    const provider = new ProviderMock({ link });
    t.after(() => provider.stop());
    await provider.start();

    const api = apiClient(coordinator.baseUrl);
    const submitted = await api.submit({ pipelineId: 'payment', input: { amount: 40 } });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const executionId = String(submitted.body.executionId);
    await until('the execution to succeed', async () => {
      const answer = await api.result(executionId, 2000);
      return (answer.body.status as { status: string }).status === 'SUCCEEDED';
    });
    assert.match(coordinator.output(), /await transports ready/);
  });
}
