// Items over the worker protocol (docs/items.md): a remote worker needs only the end index in
// the command (`stopBeforeStepIndex`, a TPF field), and an expand step's items come back as
// the completion of the segment that stops there, which the coordinator checks against the
// contract before it commits anything.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { remoteResultProblem } from '../../src/coordinator/workers/remote-result-check.ts';
import { buildContract } from '../../src/releases/pipeline-contract.ts';
import { ReleaseCatalog } from '../../src/releases/release-catalog.ts';
import { definePipeline } from '../../src/sdk/index.ts';
import type { SegmentCommand } from '../../src/segment/transition-worker.ts';
import { executeTransition } from '../../src/worker/execute-transition.ts';
import { buildWorkerReleases, HostedReleases } from '../../src/worker/hosted-releases.ts';
import { decodeCommand, encodeCommand } from '../../src/worker-protocol/command-codec.ts';
import { commandEnvelopeSchema, resultEnvelopeSchema } from '../../src/worker-protocol/envelopes.ts';
import { decodeResult } from '../../src/worker-protocol/result-codec.ts';
import type { Store } from '../../src/store/store-port.ts';

const pipeline = definePipeline({ id: 'wire-items', input: z.object({ count: z.number() }) })
  .expand('split', { item: z.number(), run: ({ count }) => Array.from({ length: count }, (_, i) => i) })
  .step('double', { output: z.number(), run: (n) => n * 2 })
  .step('label', { output: z.string(), run: (n) => `#${n}` })
  .aggregate('join', { output: z.string(), run: (items) => items.map((i) => i.status).join(',') });

async function setup() {
  const [release] = await buildWorkerReleases([pipeline]);
  if (!release) throw new Error('no release');
  const hosted = new HostedReleases('default', [release]);
  const command = (at: Partial<SegmentCommand>): SegmentCommand => ({
    tenantId: 'default',
    executionId: 'e1',
    pipelineId: release.pipelineId,
    contractVersion: release.contractVersion,
    releaseVersion: release.releaseVersion,
    currentStepIndex: 0,
    attempt: 0,
    executionVersion: 2,
    leaseEpoch: 1,
    transitionKey: 'e1:0:0',
    input: { count: 3 },
    ...at,
  });
  const remote = async (c: SegmentCommand) => {
    const answer = await executeTransition(
      JSON.parse(JSON.stringify(encodeCommand(c, []))),
      hosted,
      new AbortController().signal,
    );
    assert.equal(answer.kind, 'result');
    if (answer.kind !== 'result') throw new Error('unreachable');
    return decodeResult(resultEnvelopeSchema.parse(JSON.parse(JSON.stringify(answer.envelope))));
  };
  const catalog = new ReleaseCatalog({} as Store);
  const validators = catalog.validators(buildContract(pipeline));
  return { command, remote, validators };
}

test('stopBeforeStepIndex round-trips, and absent it is -1 on the wire', () => {
  const c = {
    tenantId: 't',
    executionId: 'e',
    pipelineId: 'p',
    contractVersion: 'c',
    releaseVersion: 'r',
    currentStepIndex: 1,
    attempt: 0,
    executionVersion: 1,
    leaseEpoch: 1,
    transitionKey: 'e:1:0',
    input: 4,
  } satisfies SegmentCommand;
  const withEnd = commandEnvelopeSchema.parse(encodeCommand({ ...c, stopBeforeStepIndex: 3 }, []));
  assert.equal(withEnd.stopBeforeStepIndex, 3);
  assert.equal(decodeCommand(withEnd).command.stopBeforeStepIndex, 3);
  const without = commandEnvelopeSchema.parse(encodeCommand(c, []));
  assert.equal(without.stopBeforeStepIndex, -1);
  assert.equal('stopBeforeStepIndex' in decodeCommand(without).command, false);
});

test('a remote segment stops at the expand with its items, and an item stops before the aggregate', async () => {
  const { command, remote, validators } = await setup();
  const expanded = await remote(command({}));
  assert.deepEqual(expanded, { outcome: 'COMPLETED', stepIndex: 0, output: [0, 1, 2], outputs: [] });
  assert.equal(remoteResultProblem(expanded, command({}), validators), undefined);
  const item = command({ currentStepIndex: 1, stopBeforeStepIndex: 3, input: 5 });
  const done = await remote(item);
  assert.deepEqual(done, {
    outcome: 'COMPLETED',
    stepIndex: 2,
    output: '#10',
    outputs: [{ stepIndex: 1, output: 10 }],
  });
  assert.equal(remoteResultProblem(done, item, validators), undefined);
  // An answer that ran past the item's end, or items that break the item schema, are refused.
  const past = {
    outcome: 'COMPLETED' as const,
    stepIndex: 3,
    output: 'x',
    outputs: [
      { stepIndex: 1, output: 10 },
      { stepIndex: 2, output: '#10' },
    ],
  };
  assert.match(
    remoteResultProblem(past, item, validators) ?? '',
    /outside the segment|does not end the segment/,
  );
  const badItems = { outcome: 'COMPLETED' as const, stepIndex: 0, output: ['a'], outputs: [] };
  assert.match(remoteResultProblem(badItems, command({}), validators) ?? '', /does not match its schema/);
});
