import assert from 'node:assert/strict';
import type { PipelineContract } from '../../src/releases/pipeline-contract.ts';
import type { ReleaseRecord } from '../../src/store/records.ts';
import type { Store } from '../../src/store/store-port.ts';
import {
  claim,
  claimOne,
  complete,
  get,
  journalTypes,
  leader,
  parked,
  submitCommand,
  submitted,
  T0,
} from '../support/store-fixtures.ts';
import { forEachStore, openTestStore } from '../support/test-stores.ts';

// The store port's commands beyond fencing (the await inbox, operator commands, releases),
// the same test body on every store.

forEachStore(
  'suspend and completeInteraction: completed, duplicate, conflict, not_found, deadline',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    await parked(store, 'x1');
    const waiting = await get(store, 'x1');
    assert.equal(waiting?.status, 'WAITING_EXTERNAL');
    assert.equal(waiting?.awaitUnitId, 'u-x1');
    const found = await store.findInteraction('default', { correlationId: 'c-x1' });
    assert.equal(found?.status, 'WAITING');
    assert.deepEqual(found?.requestPayload, { ask: 'x1' });

    const completed = await complete(store, 'x1');
    assert.equal(completed.kind, 'completed');
    const requeued = await get(store, 'x1');
    assert.equal(requeued?.status, 'QUEUED');
    assert.equal(requeued?.stepIndex, 1);
    assert.deepEqual(await store.getStepOutput('x1', 0), { output: { approved: true, by: 'ann' } });
    assert.equal((await complete(store, 'x1')).kind, 'duplicate');
    assert.equal((await complete(store, 'x1', 'other')).kind, 'conflict');
    const unknown = await store.completeInteraction({
      tenantId: 'default',
      interactionId: 'nope',
      response: null,
      responseFingerprint: 'f',
      completionKey: 'k',
      actor: null,
      nowMs: T0,
    });
    assert.equal(unknown.kind, 'not_found');
    assert.deepEqual(await journalTypes(store, 'x1'), [
      'submitted',
      'attempt_started',
      'suspended',
      'interaction_completed',
    ]);
    // The next claim resumes at step 1 with the response as input.
    const resumed = await claimOne(store, T0 + 3);
    assert.deepEqual(resumed.input, { approved: true, by: 'ann' });

    await parked(store, 'x2');
    assert.equal((await complete(store, 'x2', 'rf', T0 + 60_000)).kind, 'deadline_passed');
    assert.deepEqual(
      (await store.findPassedDeadlines(T0 + 60_000, 10)).map((i) => i.interactionId),
      ['i-x2'],
    );
    const timedOut = await store.timeOutInteraction({
      leader: await leader(store),
      interactionId: 'i-x2',
      reason: 'await_timeout',
      terminalStatus: 'DLQ',
      publication: undefined,
      nowMs: T0 + 60_000,
      expiresAtMs: T0 + 120_000,
    });
    assert.equal(timedOut, true);
    assert.equal((await get(store, 'x2'))?.status, 'DLQ');
    assert.equal((await complete(store, 'x2', 'rf', T0 + 1)).kind, 'closed');
  },
);

forEachStore(
  'redrive and cancel outcomes; purge deletes a terminal execution past its TTL',
  async (t, kind) => {
    const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
    const redrive = (id: string, o: { expectedVersion?: number; allowFailed?: boolean } = {}) =>
      store.redrive({
        tenantId: 'default',
        executionId: id,
        expectedVersion: o.expectedVersion,
        allowFailed: o.allowFailed ?? false,
        reason: 'fixed',
        nowMs: T0 + 5000,
      });
    const cancel = (id: string) =>
      store.cancel({
        tenantId: 'default',
        executionId: id,
        reason: 'stop',
        nowMs: T0 + 6000,
        expiresAtMs: T0 + 99_000,
      });

    assert.equal((await redrive('missing')).kind, 'not_found');
    assert.equal((await cancel('missing')).kind, 'not_found');
    await submitted(store, 'x1');
    assert.equal((await redrive('x1')).kind, 'wrong_status');
    const { execution } = await claimOne(store);
    await store.fail({
      executionId: 'x1',
      leaseEpoch: execution.leaseEpoch,
      stepIndex: 0,
      failure: { errorCode: 'boom', errorMessage: 'bad' },
      decision: { kind: 'failed', reason: 'non_retryable' },
      publication: undefined,
      nowMs: T0 + 1000,
      expiresAtMs: T0 + 99_000,
    });
    const failed = await get(store, 'x1');
    assert.equal(failed?.status, 'FAILED');
    assert.equal((await redrive('x1')).kind, 'wrong_status', 'FAILED needs allowFailed');
    assert.equal((await redrive('x1', { allowFailed: true, expectedVersion: 1 })).kind, 'wrong_version');
    const redriven = await redrive('x1', { allowFailed: true, expectedVersion: failed?.version });
    assert.equal(redriven.kind, 'redriven');
    if (redriven.kind === 'redriven') {
      assert.equal(redriven.previousStatus, 'FAILED');
      assert.equal(redriven.execution.status, 'QUEUED');
      assert.equal(redriven.execution.errorCode, null);
      assert.equal(redriven.execution.expiresAtMs, null);
    }

    await parked(store, 'x2');
    const cancelled = await cancel('x2');
    assert.equal(cancelled.kind, 'cancelled');
    if (cancelled.kind === 'cancelled') assert.equal(cancelled.execution.leaseEpoch, 2, 'cancel fences');
    assert.equal((await store.findInteraction('default', { interactionId: 'i-x2' }))?.status, 'CANCELLED');
    assert.equal((await cancel('x2')).kind, 'already_cancelled');
    assert.equal((await cancel('x1')).kind, 'cancelled');
    await submitted(store, 'x3');
    const x3 = await claimOne(store);
    await store.succeed({
      executionId: 'x3',
      leaseEpoch: x3.execution.leaseEpoch,
      stepIndex: 0,
      result: { done: 1 },
      nowMs: T0 + 7000,
      expiresAtMs: T0 + 8000,
    });
    assert.equal((await cancel('x3')).kind, 'terminal');
    assert.equal(await store.purgeExpired({ leader: await leader(store), nowMs: T0 + 8000, limit: 10 }), 1);
    assert.equal(await get(store, 'x3'), undefined);
    assert.deepEqual(await journalTypes(store, 'x3'), []);
  },
);

forEachStore('listPendingInteractions orders by deadline, then creation; filters narrow', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  await parked(store, 'late', { deadlineAtMs: T0 + 90_000, group: 'ops' });
  await parked(store, 'soon', { deadlineAtMs: T0 + 10_000, assignee: 'ann' });
  await parked(store, 'mid', { deadlineAtMs: T0 + 50_000, group: 'ops', stepId: 'review' });
  const ids = async (filter: Parameters<Store['listPendingInteractions']>[1]) =>
    (await store.listPendingInteractions('default', filter)).map((i) => i.interactionId);
  assert.deepEqual(await ids({ limit: 10 }), ['i-soon', 'i-mid', 'i-late']);
  assert.deepEqual(await ids({ limit: 2 }), ['i-soon', 'i-mid']);
  assert.deepEqual(await ids({ limit: 10, group: 'ops' }), ['i-mid', 'i-late']);
  assert.deepEqual(await ids({ limit: 10, assignee: 'ann' }), ['i-soon']);
  assert.deepEqual(await ids({ limit: 10, stepId: 'review' }), ['i-mid']);
  assert.deepEqual(await ids({ limit: 10, group: 'ops', stepId: 'review' }), ['i-mid']);
  assert.deepEqual(await ids({ limit: 10, group: 'ops', assignee: 'ann' }), []);
  assert.deepEqual(await store.listPendingInteractions('other-tenant', { limit: 10 }), []);
});

const release = (version: string, overrides: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  tenantId: 'default',
  pipelineId: 'p',
  releaseVersion: version,
  contractVersion: 'sha256:contract',
  descriptor: { version, b: 1, a: 2 },
  contract: { pipelineId: 'p' } as unknown as PipelineContract,
  primaryArtifactDigest: `sha256:${version}`,
  createdAtMs: T0,
  ...overrides,
});

forEachStore('registerRelease: created, identical, conflict; activation; worker events', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  assert.equal(await store.registerRelease(release('r1')), 'created');
  assert.equal(await store.registerRelease(release('r1')), 'identical');
  assert.equal(await store.registerRelease(release('r1', { descriptor: { other: true } })), 'conflict');
  assert.equal(await store.registerRelease(release('r2', { createdAtMs: T0 + 1 })), 'created');
  assert.deepEqual(await store.getRelease('default', 'p', 'r1'), release('r1'));
  assert.equal(await store.getActiveRelease('default', 'p'), undefined);
  const activate = (v: string, atMs: number) =>
    store.activateRelease({
      tenantId: 'default',
      pipelineId: 'p',
      releaseVersion: v,
      activatedAtMs: atMs,
      actor: 'ci',
    });
  assert.equal(await activate('nope', T0), false);
  assert.equal(await activate('r1', T0 + 1), true);
  assert.equal(await activate('r2', T0 + 2), true);
  assert.equal((await store.getActiveRelease('default', 'p'))?.releaseVersion, 'r2');
  assert.deepEqual(
    (await store.listReleases('default', 'p')).map((r) => r.releaseVersion),
    ['r1', 'r2'],
  );
  const activations = await store.listActivations('default', 'p');
  assert.deepEqual(
    activations.map((a) => [a.releaseVersion, a.activatedAtMs, typeof a.seq]),
    [
      ['r1', T0 + 1, 'number'],
      ['r2', T0 + 2, 'number'],
    ],
  );
  const registration = {
    tenantId: 'default',
    pipelineId: 'p',
    workerId: 'w1',
    contractVersion: 'c1',
    releaseVersion: 'r1',
    protocol: 'rest',
    endpoint: 'http://w1',
    artifactId: null,
    artifactDigest: null,
  };
  await store.registerWorker(registration, { atMs: T0, keepEndpoint: true });
  const events = await store.listWorkerEvents('default', 'p');
  assert.deepEqual(
    events.map((e) => [e.workerId, e.type, e.data, e.atMs]),
    [
      [
        'w1',
        'REGISTER',
        { contractVersion: 'c1', releaseVersion: 'r1', protocol: 'rest', endpoint: 'http://w1' },
        T0,
      ],
    ],
  );
  await store.registerWorker({ ...registration, pipelineId: 'a' }, { atMs: T0, keepEndpoint: true });
  assert.deepEqual(await store.listWorkerPipelines(), [
    { tenantId: 'default', pipelineId: 'a' },
    { tenantId: 'default', pipelineId: 'p' },
  ]);
});

forEachStore('close is idempotent and later commands are refused', async (t, kind) => {
  const { store } = await openTestStore(t, kind, { nowMs: () => T0 });
  await submitted(store, 'x1');
  await claim(store);
  await store.close();
  await store.close();
  await assert.rejects(store.submit(submitCommand('late')), /closed/);
});
