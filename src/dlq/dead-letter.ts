import type { DlqReason } from '../domain/execution-status.ts';
import type { Publication } from '../store/store-port.ts';

export const DLQ_TOPIC = 'dlq';

/** The DLQ envelope (TPF's `DeadLetterEnvelope` fields, with the real terminal status). */
export function deadLetterPublication(p: {
  tenantId: string;
  executionId: string;
  executionKey: string;
  transitionKey: string;
  reason: DlqReason;
  errorCode: string;
  errorMessage: string;
  retryable: boolean;
  retriesObserved: number;
  /** The failure's fingerprint and step (docs/dlq.md#fingerprints), when known. */
  mark?: { readonly fingerprint: string; readonly stepId: string } | undefined;
  nowMs: number;
}): Publication {
  return {
    topic: DLQ_TOPIC,
    payload: {
      tenantId: p.tenantId,
      executionId: p.executionId,
      executionKey: p.executionKey,
      correlationId: p.executionKey,
      transitionKey: p.transitionKey,
      resourceType: 'capstan.execution',
      resourceName: 'Coordinator/Run',
      terminalStatus: 'DLQ',
      terminalReason: p.reason,
      errorCode: p.errorCode,
      errorMessage: p.errorMessage,
      retryable: p.retryable,
      retriesObserved: p.retriesObserved,
      ...(p.mark ? { fingerprint: p.mark.fingerprint, stepId: p.mark.stepId } : {}),
      createdAtEpochMs: p.nowMs,
    },
  };
}
