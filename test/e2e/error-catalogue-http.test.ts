import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { errorCatalog, type ErrorCode } from '../../src/errors/catalog.ts';
import { buildRelease } from '../../src/releases/build-release.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import {
  ADMIN_TOKEN,
  apiClient,
  startCoordinatorProcess,
  type ApiResponse,
} from '../support/coordinator-process.ts';
import { gzipBomb } from '../support/gzip-bomb.ts';
import { WORKER_TOKEN } from '../support/worker-process.ts';

/**
 * Catalogue codes no request to one coordinator process can provoke today, each with why.
 * The test below checks that this is exactly what its table of provocations leaves out.
 */
const notReachableOverHttpYet = {
  replay_cache_full:
    "a worker's answer, not the coordinator's: 100 000 unexpired nonces; test/unit/worker-signing.test.ts fills a small cache",
  segment_abandoned:
    "a worker's answer to a caller that hung up mid-segment, which nobody reads; the coordinator records an unknown outcome",
  interaction_deadline_passed:
    'only between a deadline and the maintenance pass that times the interaction out (it is scheduled for that instant); the example waits 30 minutes',
  interaction_not_admitted:
    'needs an await step with an admission budget and more parked executions than it admits: test/e2e/await-admission.test.ts provokes it over HTTP',
  internal_error:
    'the answer to a coordinator fault (a bug): no well-formed or malformed request should cause one',
  store_unavailable:
    'needs a database that goes away: test/faults/postgres-failover.test.ts stops PostgreSQL under load and checks it',
  rate_limited:
    'needs capstan.http.submit-rate-per-second, which would refuse the submissions below: test/e2e/http-edges.test.ts sets it and checks it',
  request_timeout:
    "Node's HTTP server answers it to a client that sends its headers too slowly (headersTimeout, 60 s)",
  callback_expired:
    'needs a webhook transport, hence its signing key: test/e2e/await-webhook.test.ts signs an expired callback URL and checks it',
  online_backup_unsupported:
    'needs a coordinator on PostgreSQL: test/e2e/backup-restore.test.ts asks one for an online backup and checks it',
  artifact_store_unavailable:
    'needs an S3 artifact store that goes away: test/e2e/s3-artifact-store.test.ts stops its S3 server and checks it',
  item_already_aggregated:
    'needs a hosted pipeline with an expand step whose item went to the DLQ after its aggregate ran: test/engine/items.test.ts re-drives such an item and checks it',
  pipeline_shape_invalid:
    'needs a release archive whose contract nests an expand: test/unit/items-shape.test.ts reads one as registration does and checks it',
} as const satisfies Partial<Record<ErrorCode, string>>;

type Provoke = () => Promise<ApiResponse>;
type ReachableCode = Exclude<ErrorCode, keyof typeof notReachableOverHttpYet>;

const orderInput = () => ({
  requestId: randomUUID(),
  customerName: 'Ada Lovelace',
  restaurantName: 'Cafe Capstan',
  items: '2x pasta',
  totalAmount: '27.50',
  currency: 'EUR',
});

/** A pipeline the coordinator's local worker does not host: registered over the admin API only. */
const unhosted = (id: string) =>
  definePipeline({ id, input: z.object({ n: z.number() }) }).step('echo', {
    output: z.number(),
    run: ({ n }) => n,
  });

test('every row of the error catalogue over HTTP; the coordinator stays healthy', async (t) => {
  const coordinator = await startCoordinatorProcess(t, {
    env: {
      PIPELINE_ORCHESTRATOR_TENANCY_ALLOWED_TENANTS: 'default',
      PIPELINE_ORCHESTRATOR_IDEMPOTENCY_POLICY: 'CLIENT_KEY_REQUIRED',
      CAPSTAN_HTTP_BODY_LIMIT_BYTES: '4096',
      CAPSTAN_RELEASES_ARCHIVE_MAX_UNPACKED_BYTES: String(1_048_576),
      CAPSTAN_WORKERS_ALLOWED_ENDPOINTS: '127.0.0.1:*',
      TEST_WORKER_TOKEN: WORKER_TOKEN,
      PIPELINE_ORCHESTRATOR_WORKER_TOKEN_REF: 'env:TEST_WORKER_TOKEN',
    },
  });
  const api = apiClient(coordinator.baseUrl);
  const admin = apiClient(coordinator.baseUrl, ADMIN_TOKEN);
  const anonymous = apiClient(coordinator.baseUrl, null);
  const workerApi = apiClient(coordinator.baseUrl, WORKER_TOKEN);
  const workers = '/tpf/admin/tenants/default/pipelines/restaurant-approval/workers';
  const registration = (workerId: string, endpoint: string) => ({
    workerId,
    contractVersion: 'c1',
    releaseVersion: 'r1',
    protocol: 'rest',
    endpoint,
  });
  const cp = '/tpf/control-plane/tenants/default';
  const submit = (input: unknown = orderInput(), idempotencyKey: string | null = randomUUID()) =>
    api.submit({ pipelineId: 'restaurant-approval', input, idempotencyKey: idempotencyKey ?? undefined });

  /** A restaurant-approval execution parked at its await step, and its open interaction. */
  async function park() {
    const submitted = await submit();
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    const executionId = submitted.body.executionId as string;
    assert.equal((await api.result(executionId)).body.status.status, 'WAITING_EXTERNAL');
    const pending = (await api.pending('?stepId=await-restaurant-decision&limit=1000')).body as {
      executionId: string;
      interactionId: string;
      requestPayload: { orderId: string };
    }[];
    const interaction = pending.find((i) => i.executionId === executionId);
    assert.ok(interaction, 'the parked execution has an open interaction');
    return {
      executionId,
      interactionId: interaction.interactionId,
      orderId: interaction.requestPayload.orderId,
    };
  }
  const decision = (orderId: string) => ({
    accepted: { orderId, decidedAt: new Date().toISOString(), note: 'on it' },
  });

  const releases = (pipelineId: string) => `/tpf/admin/tenants/default/pipelines/${pipelineId}/releases`;
  /** Registers a release of an unhosted pipeline inline (descriptor and artifact bytes). */
  async function register(
    pipelineId: string,
    tweak: (d: Record<string, unknown>) => void = () => {},
    releaseVersion = 'r1',
  ) {
    const built = await buildRelease(unhosted(pipelineId), { releaseVersion });
    const descriptor = structuredClone(built.descriptor) as unknown as Record<string, unknown>;
    tweak(descriptor);
    const artifacts = [{ uri: built.artifactFileName, contentBase64: built.artifact.toString('base64') }];
    const registered = await admin.call('POST', `${releases(pipelineId)}/register`, {
      descriptor,
      artifacts,
    });
    return { built, registered };
  }
  const activate = (pipelineId: string) => admin.call('POST', `${releases(pipelineId)}/r1/activate`);

  const provoke = {
    invalid_request: () => api.call('GET', `${cp}/executions?cursor=not-a-cursor`),
    invalid_json: () => api.submit('{"pipelineId": '),
    invalid_tenant_id: () => api.call('GET', '/tpf/control-plane/tenants/bad%20tenant/interactions/pending'),
    invalid_input: () => submit({ requestId: 'not-a-uuid' }),
    invalid_response: async () => {
      const { interactionId } = await park();
      return api.complete({ interactionId, response: { maybe: {} } });
    },
    invalid_payload_envelope: () =>
      api.submit({ pipelineId: 'restaurant-approval', inputPayload: { payload: '{not json' } }),
    idempotency_key_required: () => submit(orderInput(), null),
    release_invalid: () =>
      admin.call('POST', `${releases('restaurant-approval')}/register`, { descriptor: {} }),
    unauthorized: () => anonymous.pending(),
    forbidden: () => api.redrive(randomUUID(), {}),
    release_path_not_allowed: () =>
      admin.call('POST', `${releases('restaurant-approval')}/register`, {
        releaseDescriptorPath: import.meta.filename,
      }),
    route_not_found: () => api.call('GET', '/nowhere'),
    tenant_not_found: () => api.call('GET', '/tpf/control-plane/tenants/elsewhere/interactions/pending'),
    execution_not_found: () => api.status(randomUUID()),
    interaction_not_found: () => api.complete({ interactionId: randomUUID(), response: {} }),
    release_not_found: () => admin.call('GET', `${releases('restaurant-approval')}/no-such-release`),
    schedule_invalid: () =>
      admin.call('POST', '/tpf/admin/tenants/default/pipelines/restaurant-approval/schedules', {
        cron: '61 * * * *',
        input: orderInput(),
      }),
    schedule_not_found: () =>
      admin.call('POST', `/tpf/admin/tenants/default/schedules/${randomUUID()}/pause`),
    worker_not_found: () =>
      admin.call('POST', '/tpf/admin/tenants/default/pipelines/restaurant-approval/workers/nobody/drain'),
    worker_endpoint_not_allowed: () =>
      admin.call('POST', `${workers}/register`, registration('metadata', 'http://169.254.169.254')),
    worker_signature_invalid: () =>
      workerApi.call('POST', `${workers}/register`, registration('forged', 'http://127.0.0.1:1'), {
        'x-tpf-worker-timestamp': new Date().toISOString(),
        'x-tpf-worker-nonce': randomUUID(),
        'x-tpf-worker-signature': '0'.repeat(64),
      }),
    worker_endpoint_conflict: async () => {
      const first = await workerApi.call(
        'POST',
        `${workers}/register`,
        registration('moved', 'http://127.0.0.1:1'),
      );
      assert.equal(first.status, 200, JSON.stringify(first.body));
      return workerApi.call('POST', `${workers}/register`, registration('moved', 'http://127.0.0.1:2'));
    },
    pipeline_not_found: () => api.submit({ pipelineId: 'no-such-pipeline', input: {}, idempotencyKey: 'k' }),
    // Known (a release is registered) but never activated.
    no_active_release: async () => {
      assert.equal((await register('inactive')).registered.status, 200);
      return api.submit({ pipelineId: 'inactive', input: { n: 1 }, idempotencyKey: 'k' });
    },
    idempotency_conflict: async () => {
      const key = randomUUID();
      assert.equal((await submit(orderInput(), key)).status, 200);
      return submit(orderInput(), key);
    },
    release_conflict: async () => {
      assert.equal((await register('conflicting')).registered.status, 200);
      // The same version again, with other (still valid) metadata.
      const { registered } = await register('conflicting', (d) => {
        (d.artifacts as { capabilities: string[] }[])[0]?.capabilities.push('something-else');
      });
      return registered;
    },
    artifact_verification_failed: async () => {
      const { built, registered } = await register('tampered');
      assert.equal(registered.status, 200, JSON.stringify(registered.body));
      // The stored artifact changes on disk between registration and activation.
      const hex = built.descriptor.artifacts[0]?.digest.replace(/^sha256:/, '') ?? '';
      writeFileSync(join(coordinator.dataDir, 'artifacts', 'sha256', hex), 'tampered');
      return activate('tampered');
    },
    interaction_conflict: async () => {
      const { interactionId, orderId } = await park();
      assert.equal((await api.complete({ interactionId, response: decision(orderId) })).status, 200);
      return api.complete({ interactionId, response: decision(randomUUID()) });
    },
    interaction_closed: async () => {
      const { executionId, interactionId, orderId } = await park();
      assert.equal((await api.cancel(executionId)).body.status, 'CANCELLED');
      return api.complete({ interactionId, response: decision(orderId) });
    },
    // A result for a lease this worker never held (the execution is parked at its await step).
    lease_epoch_stale: async () => {
      const { executionId } = await park();
      return workerApi.call(
        'POST',
        `/tpf/admin/tenants/default/workers/pull-1/segments/${executionId}/complete`,
        {
          leaseEpoch: 1,
          result: { outcome: 'FAILED', stepIndex: 0, failure: { failureClass: 'Error', message: 'late' } },
        },
      );
    },
    execution_state_conflict: async () => {
      const { executionId } = await park();
      return admin.redrive(executionId, { reason: 'it is not in the DLQ' });
    },
    execution_version_conflict: async () => {
      const { executionId, interactionId } = await park();
      // A decision for another order fails the next step for good: the execution goes to the DLQ.
      assert.equal((await api.complete({ interactionId, response: decision('another-order') })).status, 200);
      const dlq = (await api.result(executionId)).body.status as { status: string; version: number };
      assert.equal(dlq.status, 'DLQ');
      return admin.redrive(executionId, { expectedVersion: dlq.version - 1 });
    },
    // A release of the same pipeline whose steps (hence contract) differ from the execution's.
    release_incompatible: async () => {
      const other = await register('restaurant-approval', undefined, 'other-contract');
      assert.equal(other.registered.status, 200, JSON.stringify(other.registered.body));
      const { executionId, interactionId } = await park();
      assert.equal((await api.complete({ interactionId, response: decision('another-order') })).status, 200);
      assert.equal((await api.result(executionId)).body.status.status, 'DLQ');
      return admin.redrive(executionId, { targetRelease: { releaseVersion: 'other-contract' } });
    },
    callback_signature_invalid: () =>
      anonymous.call(
        'POST',
        `/api/awaits/tenants/default/interactions/${randomUUID()}/callback?expires=${Date.now() + 60_000}&signature=forged`,
        { response: { approved: true } },
      ),
    json_too_deep: () =>
      submit({ ...orderInput(), items: JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) }),
    uri_too_long: () => api.status('x'.repeat(3000)),
    request_header_too_large: () =>
      api.call('GET', `${cp}/interactions/pending`, undefined, { 'x-big': 'a'.repeat(20_000) }),
    payload_too_large: () => submit({ ...orderInput(), items: 'x'.repeat(8_000) }),
    release_archive_too_large: async () =>
      admin.call('POST', `${releases('restaurant-approval')}/register`, await gzipBomb(4 * 1_048_576), {
        'content-type': 'application/gzip',
      }),
    unsupported_media_type: () => api.submit('pipelineId=x', { 'content-type': 'text/plain' }),
    no_healthy_worker: async () => {
      assert.equal((await register('unhosted')).registered.status, 200);
      assert.equal((await activate('unhosted')).status, 200);
      return api.submit({ pipelineId: 'unhosted', input: { n: 1 }, idempotencyKey: randomUUID() });
    },
  } satisfies Record<ReachableCode, Provoke>;

  assert.deepEqual(
    Object.keys(notReachableOverHttpYet).sort(),
    Object.keys(errorCatalog)
      .filter((code) => !(code in provoke))
      .sort(),
    'every catalogue code is either provoked below or listed as not reachable over HTTP yet',
  );

  for (const [code, send] of Object.entries(provoke) as [ReachableCode, Provoke][]) {
    await t.test(`${code} (${errorCatalog[code].status})`, async () => {
      const response = await send();
      assert.equal(response.status, errorCatalog[code].status, JSON.stringify(response.body));
      assert.equal(response.body?.error?.code, code, JSON.stringify(response.body));
      assert.equal(typeof response.body.error.message, 'string');
    });
  }

  await t.test('afterwards: ready, no unhandled error, and an execution still completes', async () => {
    const ready = await anonymous.call('GET', '/api/ready');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.doesNotMatch(coordinator.output(), /unhandled error in request/);
    const { executionId, interactionId, orderId } = await park();
    const completed = await api.complete({ interactionId, response: decision(orderId), actor: 'e2e' });
    assert.equal(completed.status, 200, JSON.stringify(completed.body));
    const result = await api.result(executionId);
    assert.equal(result.body.status.status, 'SUCCEEDED');
    assert.equal(result.body.result.outcome, 'APPROVED');
  });

  await t.test('a known path with another method is route_not_found: Fastify never answers 405', async () => {
    const response = await api.call('DELETE', `${cp}/executions/${randomUUID()}`);
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'route_not_found');
  });

  await t.test('the execution list pages through everything this test submitted', async () => {
    const all = await api.call('GET', `${cp}/executions?limit=1000`);
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.equal(all.body.nextCursor, null);
    const ids = (all.body.items as { executionId: string }[]).map((x) => x.executionId);
    assert.equal(ids.length, 9, 'the nine executions the rows above submitted');
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await api.call(
        'GET',
        `${cp}/executions?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200, JSON.stringify(page.body));
      walked.push(...(page.body.items as { executionId: string }[]).map((x) => x.executionId));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    assert.deepEqual(walked, ids);
    const parked = await api.call(
      'GET',
      `${cp}/executions?status=DLQ,CANCELLED&pipelineId=restaurant-approval`,
    );
    assert.deepEqual((parked.body.items as { status: string }[]).map((x) => x.status).sort(), [
      'CANCELLED',
      'DLQ',
      'DLQ',
    ]);
    const bad = await api.call('GET', `${cp}/executions?status=DONE`);
    assert.equal(bad.body.error.code, 'invalid_request');
  });
});
