import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { LONG_POLL_CAPPED_HEADER } from '../../src/http/long-poll-gate.ts';
import { apiClient, OPERATOR_TOKEN, startCoordinatorProcess } from '../support/coordinator-process.ts';
import { newOrder } from '../support/restaurant-order.ts';
import { startWorkerProcess } from '../support/worker-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const cp = '/tpf/control-plane/tenants/default';
/** JSON text nesting arrays `depth` deep (as text: building the value itself would overflow the stack). */
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

test('the HTTP edge: nesting, ids, query parameters, headers and long-polls are bounded', async (t) => {
  const coordinator = await startCoordinatorProcess(t, {
    env: {
      CAPSTAN_HTTP_MAX_LONG_POLLS: '2',
      CAPSTAN_TEST_SLOW_MS: '120000',
    },
    pipelines: [
      join(ROOT, 'examples/restaurant-approval/pipeline.ts'),
      join(ROOT, 'test/fixtures/slow-pipeline/pipeline.ts'),
    ],
  });
  const api = apiClient(coordinator.baseUrl);

  /** An execution whose slow step runs for minutes: a long-poll on it waits its whole `waitMs`. */
  const running = async (): Promise<string> => {
    const submitted = await api.submit({ pipelineId: 'slow-charge', input: { n: 1 } });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
    return submitted.body.executionId as string;
  };

  await t.test('JSON nested past the limit is a 400 json_too_deep before it is parsed', async () => {
    const order = JSON.stringify(newOrder()).slice(0, -1);
    for (const [path, text] of [
      [`${cp}/executions`, `{"pipelineId":"restaurant-approval","input":${order},"items":${nested(64)}}}`],
      [`${cp}/executions`, `{"pipelineId":"restaurant-approval","input":${nested(100_000)}}`],
      [`${cp}/interactions/complete`, `{"interactionId":"${randomUUID()}","response":${nested(5_000)}}`],
    ] as const) {
      const answer = await api.call('POST', path, text, { 'content-type': 'application/json' });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error.code, 'json_too_deep');
    }
    // Brackets inside strings are text, not nesting.
    const text = await api.submit({
      pipelineId: 'restaurant-approval',
      input: { ...newOrder(), items: '['.repeat(10_000) },
    });
    assert.equal(text.status, 200, JSON.stringify(text.body));
  });

  await t.test('ids with control characters or past their length are a 400 naming the field', async () => {
    for (const id of ['%00abc', 'a%0Ab', 'x%7F', 'x'.repeat(201)]) {
      const answer = await api.status(id);
      assert.equal(answer.status, 400, id);
      assert.equal(answer.body.error.code, 'invalid_request', id);
      assert.match(answer.body.error.message, /executionId/);
    }
    const tenant = await api.call(
      'GET',
      `/tpf/control-plane/tenants/${'t'.repeat(129)}/interactions/pending`,
    );
    assert.equal(tenant.body.error.code, 'invalid_tenant_id');
    const huge = await api.status('x'.repeat(5_000));
    assert.equal(huge.status, 414);
    assert.equal(huge.body.error.code, 'uri_too_long', 'the router refuses in the catalogue shape');
    const body = await api.complete({ interactionId: 'a\u0000b', response: {} });
    assert.equal(body.status, 400);
    assert.match(body.body.error.message, /interactionId/);
  });

  await t.test('every query parameter out of range is a 400 with the parameter named', async () => {
    const id = randomUUID();
    for (const [path, parameter] of [
      [`${cp}/interactions/pending?limit=-5`, 'limit'],
      [`${cp}/interactions/pending?limit=0`, 'limit'],
      [`${cp}/interactions/pending?limit=1001`, 'limit'],
      [`${cp}/interactions/pending?limit=ten`, 'limit'],
      [`${cp}/interactions/pending?stepId=`, 'stepId'],
      [`${cp}/executions?limit=0`, 'limit'],
      [`${cp}/executions?createdFrom=-1`, 'createdFrom'],
      [`${cp}/executions?status=DONE`, 'status'],
      [`${cp}/executions/${id}/history?afterSeq=-1`, 'afterSeq'],
      [`${cp}/executions/${id}/history?limit=100000`, 'limit'],
      [`${cp}/executions/${id}/result?waitMs=-1`, 'waitMs'],
      [`${cp}/executions/${id}/result?waitMs=600000`, 'waitMs'],
    ] as const) {
      const answer = await api.call('GET', path);
      assert.equal(answer.status, 400, path);
      assert.equal(answer.body.error.code, 'invalid_request', path);
      assert.match(answer.body.error.message, new RegExp(`\\b${parameter}\\b`), path);
    }
  });

  await t.test('the Idempotency-Key header is held to the body key’s 512 characters', async () => {
    const submit = (key: string) =>
      api.submit({ pipelineId: 'restaurant-approval', input: newOrder() }, { 'idempotency-key': key });
    const long = await submit('k'.repeat(513));
    assert.equal(long.status, 400);
    assert.match(long.body.error.message, /idempotency-key/i);
    assert.equal((await submit('k'.repeat(512))).status, 200);
  });

  await t.test('long-polls are capped, and a client that hangs up frees its place', async () => {
    const [a, b, c] = [await running(), await running(), await running()];
    const clients = [a, b].map((id) => {
      const abort = new AbortController();
      const answered = fetch(`${coordinator.baseUrl}${cp}/executions/${id}/result?waitMs=60000`, {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
        signal: abort.signal,
      }).catch(() => undefined);
      return { abort, answered };
    });
    const poll = (waitMs: number) =>
      fetch(`${coordinator.baseUrl}${cp}/executions/${c}/result?waitMs=${waitMs}`, {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      });
    // Both places taken (bounded poll until the two waiters are in): the next poll answers at once.
    const deadline = Date.now() + 20_000;
    let capped: Response | undefined;
    while (Date.now() < deadline) {
      const answer = await poll(1);
      if (answer.headers.get(LONG_POLL_CAPPED_HEADER) === 'capped') {
        capped = answer;
        break;
      }
    }
    assert.ok(capped, 'a third long-poll past max-long-polls=2 answers at once, marked capped');
    const { status } = (await capped.json()) as { status: { status: string } };
    assert.ok(['QUEUED', 'RUNNING'].includes(status.status), 'answered with the status as it is');
    // The two clients hang up: their places come back without waiting out the 60 s.
    for (const client of clients) client.abort.abort();
    await Promise.all(clients.map((client) => client.answered));
    let freed = false;
    while (Date.now() < deadline && !freed) {
      freed = (await poll(1)).headers.get(LONG_POLL_CAPPED_HEADER) === null;
    }
    assert.ok(freed, 'the places of clients that hung up are free again');
  });

  await t.test('afterwards: ready, and no unhandled error was logged', async () => {
    assert.equal((await apiClient(coordinator.baseUrl, null).call('GET', '/api/ready')).status, 200);
    assert.doesNotMatch(coordinator.output(), /unhandled error/);
  });
});

test('submissions past the per-tenant rate answer 429 rate_limited with Retry-After', async (t) => {
  const coordinator = await startCoordinatorProcess(t, { env: { CAPSTAN_HTTP_SUBMIT_RATE_PER_SECOND: '5' } });
  const api = apiClient(coordinator.baseUrl);
  let limited: { status: number; retryAfter: string | null; code: string } | undefined;
  for (let i = 0; i < 200 && !limited; i++) {
    const answer = await fetch(`${coordinator.baseUrl}/tpf/control-plane/tenants/flood/executions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pipelineId: 'restaurant-approval', input: {} }),
    });
    const body = (await answer.json()) as { error?: { code: string } };
    if (answer.status === 429)
      limited = {
        status: 429,
        retryAfter: answer.headers.get('retry-after'),
        code: body.error?.code ?? '',
      };
  }
  assert.ok(limited, 'a flood of submissions meets the limit');
  assert.equal(limited.code, 'rate_limited');
  assert.ok(Number(limited.retryAfter) >= 1);
  // Another tenant's submissions are not refused by the flood.
  const other = await api.submit({ pipelineId: 'restaurant-approval', input: newOrder() });
  assert.equal(other.status, 200, JSON.stringify(other.body));
});

test('a worker server answers an oversized body with 413 in the catalogue shape', async (t) => {
  const worker = await startWorkerProcess(t, {
    pipelines: [join(ROOT, 'examples/restaurant-approval/pipeline.ts')],
  });
  // The worker answers as soon as it reads the length, and closes: a client still writing the
  // 17 MiB could fail its write (EPIPE) before reading that answer, so only the start is sent.
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const call = request(`${worker.baseUrl}/pipeline/worker/transitions/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(17 * 1024 * 1024) },
    });
    call.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      response.on('error', reject);
    });
    call.on('error', reject);
    call.write(Buffer.alloc(64 * 1024, 0x20));
  });
  assert.equal(answer.status, 413);
  const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'payload_too_large');
  const missing = await fetch(`${worker.baseUrl}/nowhere`);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'route_not_found');
});
