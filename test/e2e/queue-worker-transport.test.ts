/**
 * The coordinator's side of the queue worker protocol against real brokers, with what a worker
 * process would send played by hand: how a node treats replies it did not wait for, forged
 * replies, silence and a broker that will not take the request.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import type { SegmentQueueLink } from '../../src/brokers/segment-queue-link.ts';
import { QueueWorkerTransport } from '../../src/coordinator/workers/queue-worker-transport.ts';
import { systemClock } from '../../src/runtime/clock.ts';
import { systemRandom } from '../../src/runtime/random.ts';
import { systemTimers } from '../../src/runtime/timers.ts';
import { KeyRing } from '../../src/worker-protocol/key-ring.ts';
import {
  parseQueueMessage,
  queueRequestSchema,
  signQueueReply,
  type QueueRequest,
} from '../../src/worker-protocol/queue-messages.ts';
import { brokerKinds, recordingLogger, type BrokerKind } from '../support/await-brokers.ts';
import { eventually } from '../support/eventually.ts';
import { openTestQueueLink } from '../support/queue-workers.ts';
import { SqsServer } from '../support/sqs-server.ts';

const SECRET = 'queue-transport-test-secret-0123456789';
const keys = new KeyRing({ defaultSecret: SECRET });
const GROUP = 'g1';

/**
 * One test's broker names (for SQS, a server of its own on loopback). Its links close when the
 * test ends, the last opened first, and then the server stops.
 */
async function brokerScope(t: TestContext, broker: BrokerKind) {
  const name = `CAPSTAN_TEST_QT_${randomBytes(5).toString('hex')}`;
  const server = new SqsServer();
  const sqsEndpoint = broker === 'sqs' ? await server.endpoint() : undefined;
  const teardown: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const step of teardown.reverse()) await step();
    await server.stop();
  });
  /** A link on the scope's name; with `owns`, what the test made on the broker goes when it ends. */
  const openLink = async (nodes: string[], owns = false) => {
    const logger = recordingLogger();
    const link: SegmentQueueLink = await openTestQueueLink(
      { broker, name, sqsEndpoint },
      { logger, ackWaitMs: 5000, maxInFlight: 8 },
    );
    teardown.push(async () => {
      if (owns) await link.remove({ queues: [GROUP], nodes });
      await link.close();
    });
    return { link, logger };
  };
  return { openLink };
}

function transportOn(link: SegmentQueueLink, nodeId: string, requestTimeoutMs: number) {
  const logger = recordingLogger();
  const transport = new QueueWorkerTransport({
    link,
    nodeId,
    keys,
    toleranceMs: 60_000,
    requestTimeoutMs,
    clock: systemClock,
    random: systemRandom,
    timers: systemTimers,
    logger,
  });
  return { transport, logger };
}

/** A command envelope's text as far as the transport looks at it (it is opaque to the queue). */
const command = JSON.stringify({ executionId: 'x-1' });

for (const broker of brokerKinds) {
  test(`${broker}: replies for no waiting call and forged replies are logged and acknowledged; the node keeps taking its replies`, async (t) => {
    const { openLink } = await brokerScope(t, broker);
    const admin = await openLink(['node-a'], true);
    const node = await openLink(['node-a']);
    const { transport, logger } = transportOn(node.link, 'node-a', 15_000);
    await transport.start();

    // The worker's part, by hand: take each request, answer once with a forged signature, then truly.
    const taken: QueueRequest[] = [];
    await admin.link.consumeRequests(GROUP, async (body) => {
      const request = parseQueueMessage(queueRequestSchema, body);
      if (!request) return 'ack';
      taken.push(request);
      const reply = (secret: string) =>
        Buffer.from(
          JSON.stringify(
            signQueueReply(secret, systemClock, request, {
              workerId: 'w',
              status: 400,
              body: JSON.stringify({ error: { code: 'invalid_request', message: 'no' } }),
            }),
          ),
        );
      await admin.link.publishReply(
        request.replyTo,
        reply('not-the-secret'),
        `${request.correlationId}.forged`,
      );
      await admin.link.publishReply(request.replyTo, reply(SECRET), `${request.correlationId}.reply`);
      return 'ack';
    });
    // A reply for a correlation id this node never issued, and one that is no reply at all.
    await admin.link.publishReply(
      'node-a',
      Buffer.from(JSON.stringify({ ...stray(), correlationId: 'unknown' })),
      'stray-1',
    );
    await admin.link.publishReply('node-a', Buffer.from('not json'), 'stray-2');

    const result = await transport.execute(GROUP, command, 'w', new AbortController().signal);
    assert.equal(result.outcome, 'REFUSED', JSON.stringify(result));
    assert.equal(taken.length, 1);
    await eventually('the strays logged', () =>
      logger.lines.some((l) => l.msg === 'queue worker reply for no waiting call; dropped') &&
      logger.lines.some((l) => l.msg.includes('not a reply envelope'))
        ? true
        : undefined,
    );
    const refused = logger.lines.filter((l) => l.msg === 'queue worker reply refused');
    assert.equal(refused.length, 1, 'the forged reply was refused, the call waited for the real one');
    assert.equal(transport.waiting, 0);
  });

  test(`${broker}: no reply within the timeout is an unknown outcome; a broker that does not take the request is unreachable; an abort abandons`, async (t) => {
    const { openLink } = await brokerScope(t, broker);
    await openLink(['node-b', 'node-c'], true);
    const node = await openLink(['node-b']);
    const { transport } = transportOn(node.link, 'node-b', 300);
    await transport.start();

    const silent = await transport.execute(GROUP, command, 'w', new AbortController().signal);
    assert.equal(silent.outcome, 'OUTCOME_UNKNOWN');
    assert.match(silent.outcome === 'OUTCOME_UNKNOWN' ? silent.reason : '', /no reply on queue 'g1'/);

    const abort = new AbortController();
    const abandoned = transport.execute(GROUP, command, 'w', abort.signal);
    abort.abort();
    assert.equal((await abandoned).outcome, 'ABANDONED');

    // A closed link: the request is never sent.
    const closed = await openLink(['node-c']);
    await closed.link.close();
    const { transport: offline } = transportOn(closed.link, 'node-c', 5_000);
    const unsent = await offline.execute(GROUP, command, 'w', new AbortController().signal);
    assert.equal(unsent.outcome, 'UNREACHABLE', JSON.stringify(unsent));
  });
}

/** A well-formed reply envelope whose correlation id nobody issued. */
function stray() {
  return {
    v: 1,
    correlationId: 'unknown',
    workerId: 'w',
    status: 200,
    body: '{}',
    signature: { timestamp: new Date().toISOString(), nonce: 'n'.repeat(16), signature: 'a'.repeat(64) },
  };
}
