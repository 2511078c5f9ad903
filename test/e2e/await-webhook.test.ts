import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { AwaitTransports } from '../../src/awaits/await-transports.ts';
import { CallbackSigner } from '../../src/awaits/callback-signature.ts';
import { WebhookAwaitTransport } from '../../src/awaits/webhook-transport.ts';
import { createHttpServer } from '../../src/http/create-http-server.ts';
import { LocalArtifactStore } from '../../src/releases/local-artifact-store.ts';
import { ReleaseRegistrar } from '../../src/releases/release-registrar.ts';
import { systemClock } from '../../src/runtime/clock.ts';
import { paymentPipeline, recordingLogger, startAwaitNode } from '../support/await-brokers.ts';
import { TEST_TOKENS } from '../support/api-server.ts';
import { until } from '../support/eventually.ts';
import { freeLoopbackPort } from '../support/private-postgres.ts';
import { openTestStore } from '../support/test-stores.ts';

// The webhook transport: the request is POSTed to a real HTTP receiver with a signed callback
// URL; the receiver calls it back and the execution resumes. A forged, tampered or expired
// callback URL is refused with a stable code and changes nothing.

const KEY = 'webhook-test-key-0123456789';

interface Received {
  readonly body: { callbackUrl: string; interactionId: string; request: unknown };
  readonly signature: string | undefined;
  readonly raw: string;
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
};

/** A provider's webhook endpoint: refuses the first `refuse` requests with 503, then takes them. */
async function receiver(t: TestContext, refuse = 0) {
  const received: Received[] = [];
  let refused = 0;
  const server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      if (refused < refuse) {
        refused++;
        response.writeHead(503).end();
        return;
      }
      received.push({
        body: JSON.parse(raw) as Received['body'],
        signature: request.headers['x-capstan-signature'] as string | undefined,
        raw,
      });
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/payments`, received, refused: () => refused };
}

async function webhookWorld(t: TestContext, refuse = 0) {
  const provider = await receiver(t, refuse);
  const port = await freeLoopbackPort();
  const signer = new CallbackSigner(KEY, `http://127.0.0.1:${port}`);
  const logger = recordingLogger();
  const transports = new AwaitTransports(
    [new WebhookAwaitTransport({ url: provider.url, signer, timeoutMs: 5000 })],
    logger,
    signer,
  );
  const { store } = await openTestStore(t, 'sqlite');
  const node = await startAwaitNode(t, store, [paymentPipeline('webhook')], transports, {
    logger,
    relayPolicy: { maxAttempts: 10, baseDelayMs: 50, maxDelayMs: 200, claimMs: 5000 },
    sweepIntervalMs: 100,
  });
  const artifactsDir = mkdtempSync(join(tmpdir(), 'capstan-webhook-'));
  t.after(() => rmSync(artifactsDir, { recursive: true, force: true }));
  const http = createHttpServer({
    coordinator: node.coordinator,
    tokens: TEST_TOKENS,
    logger,
    bodyLimitBytes: 1_048_576,
    registrar: new ReleaseRegistrar({
      store,
      artifacts: new LocalArtifactStore(artifactsDir),
      catalog: node.coordinator.catalog,
      clock: systemClock,
      allowedRoots: [],
    }),
    uploadLimitBytes: 1_048_576,
    allowedTenants: new Set(),
    controlPlaneEnabled: true,
    adminEnabled: true,
    awaitTransports: transports,
  });
  await http.listen({ port, host: '127.0.0.1' });
  t.after(() => http.close());
  const submit = async () =>
    (await node.coordinator.submit('default', { pipelineId: 'payment', input: { amount: 12 } })).execution
      .executionId;
  const request = async () => {
    await until('the webhook request', () => provider.received.length > 0);
    return provider.received[0] as Received;
  };
  return { ...node, provider, signer, submit, request, port };
}

const callBack = async (url: string, response: unknown) => {
  const answer = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response }),
  });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
};

const approved = { status: 'APPROVED', providerReference: 'wh-1' };

test('a webhook request is delivered (retried past refusals) and its signed callback resumes the execution', async (t) => {
  const world = await webhookWorld(t, 2);
  const executionId = await world.submit();
  const { body, signature, raw } = await world.request();
  assert.equal(world.provider.refused(), 2, 'the refused deliveries were retried');
  assert.equal(signature, world.signer.bodySignature(raw), 'the body is signed with the webhook key');
  assert.deepEqual(body.request, { amount: 12 }, "the request payload is the await step's input");
  assert.match(body.callbackUrl, new RegExp(`^http://127\\.0\\.0\\.1:${world.port}/api/awaits/`));

  const first = await callBack(body.callbackUrl, approved);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.duplicate, false);
  await until('the execution to succeed', async () => {
    const x = await world.coordinator.status('default', executionId);
    return x.status === 'SUCCEEDED';
  });
  const again = await callBack(body.callbackUrl, approved);
  assert.equal(again.status, 200);
  assert.equal(again.body.duplicate, true, 'a repeated callback is harmless');
  const malformed = await callBack(body.callbackUrl, { status: 'MAYBE' });
  assert.equal(malformed.status, 400, "the await step's response schema applies");
  const other = await callBack(body.callbackUrl, { ...approved, providerReference: 'wh-2' });
  assert.equal(other.status, 409, 'a different answer to a completed interaction is a conflict');
});

test('a tampered, forged or expired callback URL is refused with a stable code', async (t) => {
  const world = await webhookWorld(t);
  const executionId = await world.submit();
  const { body } = await world.request();
  const url = new URL(body.callbackUrl);
  const refusedWith = async (target: string, status: number, code: string) => {
    const answer = await callBack(target, approved);
    assert.equal(answer.status, status, `${target}: ${JSON.stringify(answer.body)}`);
    assert.equal((answer.body.error as { code: string }).code, code);
  };
  const later = new URL(url);
  later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3_600_000));
  await refusedWith(later.href, 403, 'callback_signature_invalid');
  const forged = new URL(url);
  forged.searchParams.set('signature', `${url.searchParams.get('signature')?.slice(0, -2)}xx`);
  await refusedWith(forged.href, 403, 'callback_signature_invalid');
  const other = new URL(url.href.replace(body.interactionId, '00000000-0000-4000-8000-000000000000'));
  await refusedWith(other.href, 403, 'callback_signature_invalid');
  const expired = world.signer.url({
    tenantId: 'default',
    interactionId: body.interactionId,
    expiresAtMs: Date.now() - 1000,
  });
  await refusedWith(expired, 410, 'callback_expired');
  assert.equal((await world.coordinator.status('default', executionId)).status, 'WAITING_EXTERNAL');
  // The genuine URL still works.
  assert.equal((await callBack(url.href, approved)).status, 200);
});
