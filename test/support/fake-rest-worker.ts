import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { systemClock } from '../../src/runtime/clock.ts';
import { decodeCommand } from '../../src/worker-protocol/command-codec.ts';
import { commandEnvelopeSchema, EXECUTE_PATH } from '../../src/worker-protocol/envelopes.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import { RequestVerifier } from '../../src/worker-protocol/request-verifier.ts';
import { signResponse } from '../../src/worker-protocol/signed-messages.ts';
import type { SegmentCommand } from '../../src/segment/transition-worker.ts';
import { WORKER_SECRET } from './worker-process.ts';

/** What the double answers a command with; `signed` answers are signed as a Capstan worker signs them. */
export interface FakeAnswer {
  readonly status: number;
  readonly body: string;
  readonly signed: boolean;
}

/**
 * A REST transition worker that speaks the real signed protocol (the real verifier, codecs
 * and response signatures, with the tests' shared secret) but answers each command as the
 * test scripts it: for what a coordinator must do with answers a faithful worker never sends.
 */
export async function startFakeRestWorker(
  t: TestContext,
  answer: (command: SegmentCommand) => FakeAnswer,
): Promise<{ url: string; commands: SegmentCommand[] }> {
  const keys = new KeyRing({ defaultSecret: WORKER_SECRET });
  const verifier = new RequestVerifier({ keys, clock: systemClock, toleranceMs: 120_000 });
  const commands: SegmentCommand[] = [];
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post(EXECUTE_PATH, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verification = verifier.verify({
      method: 'POST',
      path: EXECUTE_PATH,
      headers: request.headers,
      body,
    });
    if (!verification.ok) return reply.code(401).send({ error: { code: 'unauthorized' } });
    const { command } = decodeCommand(commandEnvelopeSchema.parse(JSON.parse(body.toString('utf8'))));
    commands.push(command);
    const scripted = answer(command);
    const headers = scripted.signed
      ? signResponse(WORKER_SECRET, systemClock, {
          status: scripted.status,
          path: EXECUTE_PATH,
          requestNonce: verification.nonce,
          body: scripted.body,
        })
      : {};
    return reply.code(scripted.status).headers(headers).type('application/json').send(scripted.body);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, commands };
}
