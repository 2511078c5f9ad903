// The DLQ's admin surface over a coordinator whose steps really fail: entries marked by the
// engine with the failing step and a fingerprint shared by failures that differ only in their
// ids, keyset pages, groups, and a 400 with a stable code for every bad query.
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { DlqGroups, DlqPage } from '../../src/api-schema/dlq.ts';
import { definePipeline, NonRetryableError } from '../../src/sdk/index.ts';
import { apiServerOn } from '../support/api-server.ts';
import { ADMIN_TOKEN } from '../support/coordinator-process.ts';
import { startEngine } from '../support/engine-harness.ts';
import { forEachStore } from '../support/test-stores.ts';

const pay = definePipeline({ id: 'pay', input: z.object({ order: z.number() }) })
  .step('reserve', { output: z.number(), run: ({ order }) => order })
  .step('charge', {
    output: z.number(),
    run: (order) => {
      if (order % 2 === 0)
        throw new NonRetryableError(`card for order ${order} declined by "bank-${order}"`, {
          code: 'card_declined',
        });
      throw new Error(`gateway timed out on order ${order}`);
    },
  });

interface Problem {
  readonly error: { readonly code: string; readonly details: { readonly parameter?: string } };
}

forEachStore('the DLQ lists, pages and groups what the engine dead-lettered', async (t, kind) => {
  const engine = await startEngine(t, [pay], { maxRetries: 0 }, { store: kind });
  const { coordinator, time } = engine;
  for (const order of [2, 4, 6, 1, 3]) {
    await coordinator.submit('default', { pipelineId: 'pay', input: { order } });
    time.advance(10);
    await coordinator.tick();
  }
  const app = await apiServerOn(t, engine);
  const get = async <T>(url: string, status = 200): Promise<T> => {
    const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(r.statusCode, status, r.body);
    return r.json<T>();
  };
  const base = '/tpf/admin/tenants/default/dlq';

  const all = await get<DlqPage>(`${base}?limit=10`);
  assert.equal(all.items.length, 5);
  assert.equal(all.nextCursor, null);
  const [newest] = all.items;
  assert.deepEqual(
    { ...newest, executionId: undefined, fingerprint: undefined, dlqAt: undefined },
    {
      executionId: undefined,
      pipelineId: 'pay',
      releaseVersion: engine.releaseVersions.get('pay'),
      reason: 'retry_exhausted',
      fingerprint: undefined,
      errorCode: 'Error',
      errorMessage: 'gateway timed out on order 3',
      stepId: 'charge',
      stepIndex: 1,
      attempts: 1,
      dlqAt: undefined,
    },
  );
  const published = new Map(engine.dlq.map((m) => [m.payload.executionId, m.payload.fingerprint]));
  for (const e of all.items)
    assert.equal(published.get(e.executionId), e.fingerprint, 'the sink sees it too');
  const declined = all.items.filter((e) => e.reason === 'non_retryable');
  assert.equal(declined.length, 3);
  assert.equal(new Set(declined.map((e) => e.fingerprint)).size, 1, 'one fingerprint for the three');

  const groups = await get<DlqGroups>(`${base}/groups`);
  assert.deepEqual(
    groups.groups.map((g) => [g.count, g.stepId, g.errorCode, g.reason]),
    [
      [3, 'charge', 'card_declined', 'non_retryable'],
      [2, 'charge', 'Error', 'retry_exhausted'],
    ],
  );
  const fingerprint = declined[0]?.fingerprint ?? '';
  const byFingerprint = await get<DlqPage>(`${base}?fingerprint=${fingerprint}`);
  assert.deepEqual(
    byFingerprint.items.map((e) => e.executionId),
    declined.map((e) => e.executionId),
  );

  const seen: string[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const page: DlqPage = await get<DlqPage>(`${base}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...page.items.map((e) => e.executionId));
    cursor = page.nextCursor;
  }
  assert.deepEqual(
    seen,
    all.items.map((e) => e.executionId),
    'the pages walk the same list',
  );
  assert.deepEqual((await get<DlqPage>(`${base}?pipelineId=other`)).items, []);

  for (const bad of ['reason=sad', 'fingerprint=XYZ', 'limit=0', 'cursor=nope', 'pipelineId=%20']) {
    const { error } = await get<Problem>(`${base}?${bad}`, 400);
    assert.equal(error.code, 'invalid_request', bad);
    assert.equal(error.details.parameter, bad.split('=')[0], bad);
  }
  assert.equal((await get<Problem>(`${base}/groups?limit=5000`, 400)).error.code, 'invalid_request');

  // A re-drive's target is checked at the edge, and a release that does not exist is a 404.
  const redrive = async (body: unknown, status: number): Promise<Problem> => {
    const r = await app.inject({
      method: 'POST',
      url: `/tpf/admin/tenants/default/executions/${newest?.executionId ?? ''}/redrive`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: body as Record<string, unknown>,
    });
    assert.equal(r.statusCode, status, r.body);
    return r.json<Problem>();
  };
  for (const targetRelease of ['latest', { releaseVersion: '' }, { version: 'v2' }])
    assert.equal((await redrive({ targetRelease }, 400)).error.code, 'invalid_request');
  const unknown = await redrive({ targetRelease: { releaseVersion: 'no-such' } }, 404);
  assert.equal(unknown.error.code, 'release_not_found');
  assert.equal((await get<DlqPage>(`${base}?limit=10`)).items.length, 5, 'nothing was re-driven');
});
