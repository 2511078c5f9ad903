import assert from 'node:assert/strict';
import type { FailureDecision } from '../../src/domain/retry-policy.ts';
import type {
  ClaimedSegment,
  LeaderFence,
  NewInteraction,
  Publication,
  Store,
  SubmitCommand,
} from '../../src/store/store-port.ts';

/** Builders for store-level tests: commands with defaults, at instants around T0. */
export const T0 = Date.UTC(2026, 0, 1);
export const LEASE_MS = 1000;

export const submitCommand = (id: string, overrides: Partial<SubmitCommand> = {}): SubmitCommand => ({
  tenantId: 'default',
  executionId: id,
  pipelineId: 'p',
  contractVersion: 'sha256:contract',
  releaseVersion: 'r1',
  executionKey: `key-${id}`,
  inputFingerprint: `fp-${id}`,
  input: { id },
  nowMs: T0,
  ...overrides,
});

export async function submitted(store: Store, id: string, overrides: Partial<SubmitCommand> = {}) {
  const outcome = await store.submit(submitCommand(id, overrides));
  assert.equal(outcome.kind, 'created');
  return outcome.execution;
}

export type ClaimOptions = Partial<Parameters<Store['claimDue']>[0]>;
/** The route the fixtures' executions run on (`submitCommand`'s defaults). */
export const ROUTE = { tenantId: 'default', pipelineId: 'p', releaseVersion: 'r1' };
export const claim = async (store: Store, o: ClaimOptions = {}): Promise<ClaimedSegment[]> =>
  (await store.claimDue({ nowMs: T0, limit: 10, owner: 'node-a', leaseMs: LEASE_MS, routes: [ROUTE], ...o }))
    .segments;

export async function claimOne(store: Store, nowMs = T0, owner = 'node-a'): Promise<ClaimedSegment> {
  const claimed = await claim(store, { nowMs, owner });
  assert.equal(claimed.length, 1, 'exactly one execution claimed');
  return claimed[0] as ClaimedSegment;
}

export const journalTypes = async (store: Store, id: string) =>
  (await store.readJournal(id, 0, 1000)).map((e) => e.type);
export const get = (store: Store, id: string) => store.getExecution('default', id);

/** Takes the maintenance leadership: the fence every leader-only command carries. */
export async function leader(store: Store, nowMs = T0): Promise<LeaderFence> {
  const taken = await store.acquireLeadership({
    role: 'maintenance',
    holder: 'test-leader',
    nowMs,
    ttlMs: 3_600_000,
    takeOver: true,
  });
  assert.ok(taken, 'the test leader holds the lease');
  return { role: taken.role, holder: taken.holder, epoch: taken.epoch };
}

export const newInteraction = (id: string, overrides: Partial<NewInteraction> = {}): NewInteraction => ({
  interactionId: `i-${id}`,
  correlationId: `c-${id}`,
  unitId: `u-${id}`,
  stepId: 'approve',
  requestPayload: { ask: id },
  assignee: null,
  group: null,
  transportType: 'inbox',
  deadlineAtMs: T0 + 60_000,
  ...overrides,
});

/** Submits, claims and suspends `id` at step 0 on an interaction. */
export async function parked(store: Store, id: string, overrides: Partial<NewInteraction> = {}) {
  await submitted(store, id);
  const { execution } = await claimOne(store);
  const ok = await store.suspend({
    executionId: id,
    leaseEpoch: execution.leaseEpoch,
    stepIndex: 0,
    interaction: newInteraction(id, overrides),
    nowMs: T0 + 1,
  });
  assert.equal(ok, true);
}

/** Submits, claims and fails `id` at step 0: the decision says where it goes (DLQ, FAILED, a retry). */
export async function failedAtStepZero(
  store: Store,
  id: string,
  o: {
    decision: FailureDecision;
    publication?: Publication;
    errorMessage?: string;
    nowMs?: number;
    expiresAtMs?: number;
  },
): Promise<void> {
  await submitted(store, id);
  const { execution } = await claimOne(store);
  const ok = await store.fail({
    executionId: id,
    leaseEpoch: execution.leaseEpoch,
    stepIndex: 0,
    failure: { errorCode: 'boom', errorMessage: o.errorMessage ?? 'boom' },
    decision: o.decision,
    publication: o.publication,
    nowMs: o.nowMs ?? T0 + 1,
    expiresAtMs: o.expiresAtMs ?? T0 + 1e9,
  });
  assert.equal(ok, true);
}

export const complete = (store: Store, id: string, fingerprint = 'rf', nowMs = T0 + 2) =>
  store.completeInteraction({
    tenantId: 'default',
    interactionId: `i-${id}`,
    response: { approved: true, by: 'ann' },
    responseFingerprint: fingerprint,
    completionKey: `ck-${fingerprint}`,
    actor: 'ann',
    nowMs,
  });
