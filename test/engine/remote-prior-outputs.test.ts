// A remote worker cannot read the store, so the outputs of a segment's earlier steps travel
// with its command. They are read together (`outputsBefore`), not one read per step, and the
// previous step's is the command's input, which the claim already read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCommand } from '../../src/worker-protocol/command-codec.ts';
import { commandEnvelopeSchema } from '../../src/worker-protocol/envelopes.ts';
import {
  RemoteTransitionWorker,
  type WorkerTransport,
} from '../../src/coordinator/workers/remote-transition-worker.ts';
import type { SegmentCommand, SegmentHooks, StepOutput } from '../../src/segment/transition-worker.ts';

const release = { tenantId: 'default', pipelineId: 'p', contractVersion: 'sha256:c', releaseVersion: 'r1' };

/** Sends `command` through a transport that only keeps the envelope; returns the prior outputs it carried. */
async function sentAlong(command: SegmentCommand, stored: StepOutput[]) {
  const envelopes: string[] = [];
  const transport: WorkerTransport = {
    protocol: 'rest',
    execute: async (_endpoint, envelope) => {
      envelopes.push(envelope);
      return { outcome: 'ABANDONED' };
    },
    capabilities: async () => ({ kind: 'aborted' }),
  };
  const worker = new RemoteTransitionWorker('w1', transport, async () => undefined);
  worker.host(release, 'http://127.0.0.1:1');
  const reads: number[] = [];
  const hooks: SegmentHooks = {
    signal: new AbortController().signal,
    checkpoint: () => Promise.reject(new Error('a remote segment checkpoints nothing itself')),
    outputOf: () => Promise.reject(new Error('read one by one')),
    outputsBefore: async (below) => {
      reads.push(below);
      return stored.filter((o) => o.stepIndex < below);
    },
  };
  await worker.execute(command, hooks);
  const [envelope] = envelopes;
  assert.ok(envelope, 'the command was sent');
  const { priorOutputs } = decodeCommand(commandEnvelopeSchema.parse(JSON.parse(envelope)));
  return { priorOutputs, reads };
}

const commandAt = (currentStepIndex: number, input: unknown): SegmentCommand => ({
  ...release,
  executionId: 'e1',
  currentStepIndex,
  attempt: 0,
  executionVersion: 5,
  leaseEpoch: 1,
  transitionKey: `e1:${currentStepIndex}:0`,
  input,
});

test('the earlier outputs are read in one read; the previous one is the input', async () => {
  const stored = [
    { stepIndex: 0, output: { a: 1 } },
    { stepIndex: 1, output: null },
    { stepIndex: 2, output: 'two' },
  ];
  const { priorOutputs, reads } = await sentAlong(commandAt(3, 'two'), stored);
  assert.deepEqual(priorOutputs, stored);
  assert.deepEqual(reads, [2], 'one read, of the steps before the previous one');
});

test('a segment at step 1 reads nothing; at step 0 it carries nothing', async () => {
  const one = await sentAlong(commandAt(1, { a: 1 }), []);
  assert.deepEqual(one.priorOutputs, [{ stepIndex: 0, output: { a: 1 } }]);
  assert.deepEqual(one.reads, []);
  const zero = await sentAlong(commandAt(0, { input: true }), []);
  assert.deepEqual(zero.priorOutputs, []);
  assert.deepEqual(zero.reads, []);
});
