import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { test, type TestContext } from 'node:test';
import restaurant from '../../examples/restaurant-approval/pipeline.ts';
import {
  CapstanApiError,
  CapstanConnectionError,
  createClient,
  type CapstanClient,
  type PipelineInput,
  type PipelineOutput,
} from '../../src/client/index.ts';
import { freshSchema } from '../support/cluster.ts';
import { ADMIN_TOKEN, OPERATOR_TOKEN, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { postgresUrl } from '../support/postgres-server.ts';
import { forEachStore, type StoreKind } from '../support/test-stores.ts';

type Order = PipelineInput<typeof restaurant>;

const order = (totalAmount = '27.50'): Order => ({
  requestId: randomUUID(),
  customerName: 'Ada Lovelace',
  restaurantName: 'Cafe Capstan',
  items: '2x pasta',
  totalAmount,
  currency: 'EUR',
});

/** The open interaction of a parked execution, and the order id its decision must name. */
async function interactionOf(client: CapstanClient, executionId: string) {
  const pending = await client.pendingInteractions({ stepId: 'await-restaurant-decision', limit: 1000 });
  const interaction = pending.find((i) => i.executionId === executionId);
  assert.ok(interaction, `an open interaction for ${executionId}`);
  return {
    interactionId: interaction.interactionId,
    orderId: (interaction.requestPayload as { orderId: string }).orderId,
  };
}

/** Type checks only (never called): tsc refuses an input of the wrong shape. */
export function typedUsageCompiles(client: CapstanClient): void {
  const typed = client.pipeline(restaurant);
  void typed.submit(order());
  // @ts-expect-error -- totalAmount is a string in the pipeline's input schema.
  void typed.submit({ ...order(), totalAmount: 27.5 });
  // @ts-expect-error -- requestId is required.
  void typed.submit({ customerName: 'Ada' });
  const outcome: Promise<PipelineOutput<typeof restaurant>['outcome'] | undefined> = typed
    .result('id')
    .then((r) => r.result?.outcome);
  void outcome;
}

/** The environment that puts a coordinator on each store: embedded SQLite, or a fresh PostgreSQL schema. */
async function storeEnv(t: TestContext, kind: StoreKind): Promise<Record<string, string>> {
  if (kind === 'sqlite') return {};
  const url = await postgresUrl();
  return {
    PIPELINE_ORCHESTRATOR_STATE_PROVIDER: 'postgres',
    PIPELINE_ORCHESTRATOR_POSTGRES_URL: url,
    PIPELINE_ORCHESTRATOR_POSTGRES_SCHEMA: freshSchema(t, url),
  };
}

forEachStore(
  'capstan/client against a coordinator: typed submit and result through a park, list pages, typed errors',
  async (t, kind) => {
    const coordinator = await startCoordinatorProcess(t, { env: await storeEnv(t, kind) });
    const client = createClient({ url: coordinator.baseUrl, token: OPERATOR_TOKEN, adminToken: ADMIN_TOKEN });
    const orders = client.pipeline(restaurant);

    // submit → result: it parks at the restaurant's decision (the default wait stops at a park).
    const submitted = await orders.submit(order());
    assert.equal(submitted.duplicate, false);
    const parked = await orders.result(submitted.executionId, { timeoutMs: 10_000 });
    assert.equal(parked.status.status, 'WAITING_EXTERNAL');
    assert.equal(parked.status.stepId, 'await-restaurant-decision', 'the step by name');
    assert.equal(parked.result, null);

    // until: 'terminal' waits through the park: the decision arrives while it waits.
    const waiting = orders.result(submitted.executionId, { until: 'terminal', timeoutMs: 20_000 });
    const { interactionId, orderId } = await interactionOf(client, submitted.executionId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const completed = await client.complete({
      interactionId,
      response: { accepted: { orderId, decidedAt: new Date().toISOString() } },
    });
    assert.equal(completed.duplicate, false);
    const done = await waiting;
    assert.equal(done.status.status, 'SUCCEEDED');
    assert.equal(done.result?.outcome, 'APPROVED', 'the typed output');

    // run: submit and wait for the end; a DLQ ending is a typed error.
    await assert.rejects(orders.run(order('0'), { timeoutMs: 20_000 }), (error: Error) => {
      assert.equal(error.name, 'CapstanExecutionError');
      assert.match(error.message, /is DLQ \(invalid_amount/);
      return true;
    });

    // history names the steps beside their indexes.
    const history = await client.history(submitted.executionId);
    assert.ok(history.events.some((e) => e.stepId === 'finalize-decision'));

    // list: every execution of a filter, a page at a time with the cursor.
    const more = await Promise.all([1, 2, 3, 4].map(() => orders.submit(order())));
    // Each parks at the decision before the lists below look for it.
    await Promise.all(more.map((m) => orders.result(m.executionId, { timeoutMs: 10_000 })));
    const list = client.list({ pipelineId: 'restaurant-approval', limit: 2 });
    const pages = [];
    for await (const page of list.pages()) pages.push(page);
    const all = pages.flatMap((p) => p.items.map((x) => x.executionId));
    assert.equal(all.length, 6, 'one submitted, one in the DLQ, four more');
    assert.ok(pages.length >= 3, `pages of two (${pages.length})`);
    assert.equal(new Set(all).size, all.length, 'no execution twice across pages');
    for (const { executionId } of more) assert.ok(all.includes(executionId));
    const iterated = [];
    for await (const x of client.list({ status: ['WAITING_EXTERNAL'], limit: 3 }))
      iterated.push(x.executionId);
    assert.deepEqual(iterated.sort(), more.map((m) => m.executionId).sort());

    // pipelines: registered, active, hosted, with live counts.
    const [summary] = await client.pipelines();
    assert.equal(summary?.pipelineId, 'restaurant-approval');
    assert.equal(summary?.hosted, true);
    assert.equal(summary?.liveCounts.WAITING_EXTERNAL, 4);
    assert.equal(summary?.liveCounts.DLQ, 1);

    // Refusals are typed: the catalogue code, the status, the field details.
    const refused = async (call: Promise<unknown>) => {
      const error = await call.then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof CapstanApiError, String(error));
      return error;
    };
    const badInput = await refused(client.submit('restaurant-approval', { requestId: 'nope' }));
    assert.equal(badInput.status, 400);
    assert.equal(badInput.code, 'invalid_input');
    assert.ok(badInput.issues.length > 0, 'field details');
    assert.ok(
      badInput.issues.some((i) => i.path.includes('customerName') || i.message.includes('customerName')),
    );
    const unknown = await refused(client.submit('no-such-pipeline', {}));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.code, 'pipeline_not_found');
    const badStatus = await refused(client.listPage({ status: 'SLEEPING' as 'DLQ' }));
    assert.equal(badStatus.code, 'invalid_request');
    assert.equal((badStatus.details as { parameter: string }).parameter, 'status');
    assert.ok(badStatus.issues[0]?.allowed?.includes('DLQ'), JSON.stringify(badStatus.details));
    const badLimit = await refused(client.listPage({ limit: 5000 }));
    assert.equal((badLimit.details as { parameter: string }).parameter, 'limit');
    assert.equal(badLimit.issues[0]?.maximum, 1000);
    const badCursor = await refused(client.listPage({ cursor: 'nope' }));
    assert.equal((badCursor.details as { parameter: string }).parameter, 'cursor');
    const forbidden = await refused(
      createClient({ url: coordinator.baseUrl, token: OPERATOR_TOKEN }).redrive(submitted.executionId),
    );
    assert.equal(forbidden.code, 'forbidden');
    assert.equal(forbidden.role, 'admin');

    // releases and workers.
    const active = await client.releases.active('restaurant-approval');
    assert.equal(active.status, 'ACTIVE');
    assert.deepEqual(
      (await client.releases.list('restaurant-approval')).map((r) => r.releaseVersion),
      [active.releaseVersion],
    );
    assert.ok(Array.isArray(await client.workers.list('restaurant-approval')));
  },
);

/** A loopback port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

test('capstan/client retries: a submit sent while the coordinator restarts, and one whose answer was lost, start one execution each', async (t) => {
  const port = await freePort();
  const first = await startCoordinatorProcess(t, { port, keepDataDir: true });
  t.after(() => rmSync(first.dataDir, { recursive: true, force: true }));
  const url = first.baseUrl;
  const key = `order-${randomUUID()}`;
  const input = order();

  // An answer lost after the coordinator got the request: the retry carries the same key.
  let drops = 1;
  const lossyFetch: typeof fetch = async (resource, init) => {
    const response = await fetch(resource, init);
    if (init?.method === 'POST' && drops-- > 0) {
      await response.arrayBuffer();
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      });
    }
    return response;
  };
  const lossy = createClient({
    url,
    token: OPERATOR_TOKEN,
    fetch: lossyFetch,
    retry: { initialDelayMs: 50 },
  });
  const lost = await lossy.submit('restaurant-approval', input, { idempotencyKey: key });
  assert.equal(lost.duplicate, true, 'the first try created it; the retry found it by its key');

  // No answer at all: the coordinator is down; it comes back on the same port and data.
  await first.kill('SIGTERM');
  const client = createClient({
    url,
    token: OPERATOR_TOKEN,
    retry: { attempts: 40, initialDelayMs: 250, maxDelayMs: 500 },
  });
  const again = client.submit('restaurant-approval', input, { idempotencyKey: key });
  const secondKey = `order-${randomUUID()}`;
  const fresh = client.submit('restaurant-approval', order(), { idempotencyKey: secondKey });
  await new Promise((resolve) => setTimeout(resolve, 500));
  await startCoordinatorProcess(t, { port, dataDir: first.dataDir });
  const [retried, created] = await Promise.all([again, fresh]);
  assert.equal(retried.executionId, lost.executionId, 'the same execution');
  assert.equal(retried.duplicate, true);
  assert.equal(created.duplicate, false);
  const executions = await client.list({ pipelineId: 'restaurant-approval' }).toArray();
  assert.deepEqual(
    executions.map((x) => x.executionId).sort(),
    [lost.executionId, created.executionId].sort(),
    'two submissions, two executions: nothing twice',
  );

  // Without retries, a refused connection is a typed error at once.
  const down = createClient({
    url: `http://127.0.0.1:${await freePort()}`,
    token: OPERATOR_TOKEN,
    retry: false,
  });
  await assert.rejects(down.get('x'), (error: unknown) => {
    assert.ok(error instanceof CapstanConnectionError);
    assert.equal(error.attempts, 1);
    return true;
  });
});
