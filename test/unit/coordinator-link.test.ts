import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { silentLogger } from '../../src/runtime/logger.ts';
import { systemTimers } from '../../src/runtime/timers.ts';
import { CoordinatorLink } from '../../src/worker/coordinator-link.ts';
import { buildWorkerReleases } from '../../src/worker/hosted-releases.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { SIGNATURE_HEADERS } from '../../src/worker-protocol/signing.ts';

test('a worker signs its registration, and registers unsigned where the coordinator cannot verify the key', async (t) => {
  const seen: boolean[] = [];
  // A coordinator that no longer holds the worker's signing key: it refuses every signature.
  const server = createServer((request, response) => {
    const signed = request.headers[SIGNATURE_HEADERS.signature] !== undefined;
    seen.push(signed);
    request.resume();
    if (signed)
      response
        .writeHead(403, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'worker_signature_invalid', message: 'x' } }));
    else response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => new Promise((done) => server.close(done)));
  const link = new CoordinatorLink({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    workerToken: 'token',
    tenantId: 'default',
    workerId: 'w1',
    protocol: 'rest',
    endpoint: 'http://127.0.0.1:1',
    releases: await buildWorkerReleases([
      definePipeline({ id: 'p', input: z.object({ n: z.number() }) }).step('s', {
        output: z.number(),
        run: ({ n }) => n,
      }),
    ]),
    heartbeatEveryMs: 60_000,
    timers: systemTimers,
    logger: silentLogger,
    keys: new KeyRing({ defaultSecret: 'secret' }),
  });
  link.start();
  t.after(() => link.stop());
  const deadline = Date.now() + 5_000;
  while (!link.registered) {
    if (Date.now() > deadline) throw new Error('never registered');
    await sleep(20);
  }
  assert.deepEqual(seen, [true, false], 'signed first, then unsigned');
});
