import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NatsLink } from '../../src/awaits/nats-link.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { ProviderMock } from '../../src/tools/provider-mock.ts';
import { NATS_URL } from '../support/await-brokers.ts';
import { ok, runCapstan } from '../support/cli-run.ts';
import {
  apiClient,
  OPERATOR_TOKEN,
  startCoordinatorProcess,
  type CoordinatorProcess,
} from '../support/coordinator-process.ts';
import { until } from '../support/eventually.ts';
import { freshSchema } from '../support/fresh-schema.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { storeKinds } from '../support/test-stores.ts';
import { parsePrometheusText, valueOf } from '../support/prometheus-text.ts';

// The await admission budget end to end: `capstan serve` over NATS with a budget of 3 set by
// configuration, the provider mock answering. The provider never holds more than 3 requests at
// once, the held-back interactions cannot be completed, the budget is visible through the API,
// the CLI and the metrics, a coordinator killed mid-run loses and doubles nothing once restarted
// on its store (a SQLite file, a PostgreSQL schema), and everything ends with 0 outstanding.

const ROOT = join(import.meta.dirname, '../..');
const BUDGET = 3;
const EXECUTIONS = 15;

const openLink = (tag: string) =>
  NatsLink.open({
    url: NATS_URL,
    stream: `CAPSTAN_ADMISSION_${tag}`,
    subjectPrefix: `capstan.admission.${tag}`,
    ackWaitMs: 30_000,
    maxInFlight: 16,
    logger: silentLogger,
  });

interface Scope {
  pipelineId: string;
  stepId: string;
  limit: number;
  outstanding: number;
  waiting: number;
}

for (const store of storeKinds)
  test(`[nats, ${store}] a budget of 3 bounds the provider, survives a killed coordinator and ends at 0`, async (t) => {
    const tag = randomBytes(5).toString('hex');
    const dataDir = mkdtempSync(join(tmpdir(), 'capstan-admission-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    // On PostgreSQL the restarted coordinator finds the queue in its schema, not in a file.
    const storeEnv: Record<string, string> =
      store === 'postgres'
        ? {
            PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
            PIPELINE_ORCHESTRATOR_POSTGRES_URL: await postgresUrl(),
            PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: freshSchema(t, await postgresUrl(), 'capstan_admission'),
          }
        : {};
    const start = () =>
      startCoordinatorProcess(t, {
        pipelines: [join(ROOT, 'test/fixtures/payment-pipeline/pipeline.ts')],
        dataDir,
        env: {
          CAPSTAN_AWAITS_TRANSPORTS_NATS_ENABLED: 'true',
          CAPSTAN_NATS_URL: NATS_URL,
          CAPSTAN_AWAITS_TRANSPORTS_NATS_STREAM: `CAPSTAN_ADMISSION_${tag}`,
          CAPSTAN_AWAITS_TRANSPORTS_NATS_SUBJECT_PREFIX: `capstan.admission.${tag}`,
          CAPSTAN_TEST_AWAIT_TRANSPORT: 'nats',
          // The step sets no budget: configuration gives it one.
          CAPSTAN_AWAITS_ADMISSION: `payment/authorize=${BUDGET}`,
          ...storeEnv,
        },
      });
    t.after(async () => {
      const admin = await openLink(tag);
      await admin.deleteStream();
      await admin.close();
    });
    let coordinator: CoordinatorProcess = await start();
    let api = apiClient(coordinator.baseUrl);
    const admission = async (): Promise<Scope | undefined> => {
      const answer = await api.call('GET', '/tpf/control-plane/tenants/default/awaits/admission');
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return (answer.body as Scope[]).find((s) => s.pipelineId === 'payment' && s.stepId === 'authorize');
    };

    const ids: string[] = [];
    for (let n = 0; n < EXECUTIONS; n += 1) {
      const submitted = await api.submit({ pipelineId: 'payment', input: { amount: n } });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      ids.push(String(submitted.body.executionId));
    }
    // No provider yet: 3 requests out, the rest held back.
    await until('every execution to park', async () => (await admission())?.waiting === EXECUTIONS - BUDGET);
    assert.deepEqual(await admission(), {
      pipelineId: 'payment',
      stepId: 'authorize',
      limit: BUDGET,
      outstanding: BUDGET,
      waiting: EXECUTIONS - BUDGET,
    });
    assert.equal((await api.pending()).body.length, BUDGET, 'the inbox offers only admitted interactions');

    // A held-back interaction (its `suspended` event says so) cannot be completed: 409.
    const heldBack = await firstHeldBack(api, ids);
    const refused = await api.complete({
      interactionId: heldBack,
      response: { status: 'APPROVED', providerReference: 'guess' },
    });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'interaction_not_admitted');

    // The CLI shows the same, and so do the metrics.
    const cliEnv = { ...process.env, CAPSTAN_URL: coordinator.baseUrl, CAPSTAN_TOKEN: OPERATOR_TOKEN };
    const shown = JSON.parse(ok(await runCapstan(cliEnv, ['awaits', 'admission', '--json']))) as Scope[];
    assert.deepEqual(shown, [await admission()]);
    const table = ok(await runCapstan(cliEnv, ['awaits', 'admission']));
    assert.match(table, /payment\s+authorize\s+3\s+3\s+12/);
    const gauges = await scrape(coordinator.baseUrl);
    const labels = { tenant: 'default', pipeline: 'payment', step: 'authorize' };
    assert.equal(valueOf(gauges, 'capstan_await_outstanding', labels), BUDGET);
    assert.equal(valueOf(gauges, 'capstan_await_admission_waiting', labels), EXECUTIONS - BUDGET);

    // The provider answers, slowly enough that requests pile up if the budget let them, and
    // that the run is still going when the coordinator is killed (five rounds of 3 × 300 ms).
    const provider = new ProviderMock({ link: await openLink(tag), delayMs: 300 });
    t.after(() => provider.stop());
    await provider.start();
    let maxOutstanding = 0;
    let sampling = true;
    t.after(() => {
      sampling = false;
    });
    const sampler = (async () => {
      while (sampling) {
        const scope = await admission().catch(() => undefined); // the coordinator is down a while
        maxOutstanding = Math.max(maxOutstanding, scope?.outstanding ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const succeeded = async () => {
      let n = 0;
      for (const id of ids) if ((await api.status(id)).body.status === 'SUCCEEDED') n += 1;
      return n;
    };
    // Mid-run, the coordinator dies without a word, and comes back on the same file.
    await until('a first round to succeed', async () => (await succeeded()) >= BUDGET);
    assert.ok((await succeeded()) < EXECUTIONS, 'killed mid-run');
    await coordinator.kill('SIGKILL');
    coordinator = await start();
    api = apiClient(coordinator.baseUrl);
    await until('every execution to succeed', async () => (await succeeded()) === EXECUTIONS, {
      timeoutMs: 60_000,
    });
    sampling = false;
    await sampler;

    assert.ok(provider.maxConcurrent <= BUDGET, `the provider held ${provider.maxConcurrent} at once`);
    assert.ok(maxOutstanding <= BUDGET, `the API reported ${maxOutstanding} outstanding`);
    assert.equal(provider.answered.size, EXECUTIONS, 'every request reached the provider');
    for (const id of ids) {
      const events = (
        await api.call('GET', `/tpf/control-plane/tenants/default/executions/${id}/history?limit=1000`)
      ).body.events as { type: string }[];
      assert.equal(
        events.filter((e) => e.type === 'interaction_completed').length,
        1,
        `${id} completed once`,
      );
      assert.equal(events.filter((e) => e.type === 'succeeded').length, 1, `${id} succeeded once`);
    }
    assert.deepEqual(await admission(), {
      pipelineId: 'payment',
      stepId: 'authorize',
      limit: BUDGET,
      outstanding: 0,
      waiting: 0,
    });
    const after = await scrape(coordinator.baseUrl);
    assert.equal(valueOf(after, 'capstan_await_outstanding', labels), 0);
    assert.equal(valueOf(after, 'capstan_await_admission_waiting', labels), 0);
  });

/** The interaction of the first execution whose park was held back by the budget. */
async function firstHeldBack(api: ReturnType<typeof apiClient>, ids: readonly string[]): Promise<string> {
  for (const id of ids) {
    const events = (
      await api.call('GET', `/tpf/control-plane/tenants/default/executions/${id}/history?limit=100`)
    ).body.events as {
      type: string;
      data: { admission?: string; interaction?: { interactionId: string } };
    }[];
    const suspended = events.find((e) => e.type === 'suspended');
    if (suspended?.data.admission === 'WAITING' && suspended.data.interaction)
      return suspended.data.interaction.interactionId;
  }
  throw new Error('no execution was held back');
}

async function scrape(baseUrl: string) {
  const response = await fetch(`${baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  assert.equal(response.status, 200);
  return parsePrometheusText(await response.text());
}
