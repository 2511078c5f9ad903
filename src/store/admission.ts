import type { AwaitAdmissionRecord, Publication } from './store-port.ts';

/** An await admission budget's scope: one await step of one pipeline in one tenant. */
export interface AdmissionScope {
  readonly tenantId: string;
  readonly pipelineId: string;
  readonly stepId: string;
}

/** An interaction parking under a budget, as both stores' `admitOrHold` take it. */
export interface HeldInteraction extends AdmissionScope {
  readonly executionId: string;
  readonly interactionId: string;
  readonly limit: number;
  /** The await's deadline duration: it starts when the interaction is admitted. */
  readonly deadlineMs: number;
  /** The request to publish once admitted; none for the interaction API. */
  readonly publication: Publication | undefined;
  readonly nowMs: number;
}

/** The kept request of a waiting interaction, with the deadline it got when admitted. */
export function admittedPayload(payloadJson: string, deadlineAtMs: number): Record<string, unknown> {
  return { ...(JSON.parse(payloadJson) as Record<string, unknown>), deadlineAtMs };
}

/** The journaled marker of a budgeted park (`suspended`'s `admission`), read by the projection. */
export const admissionMarker = (admitted: boolean): 'ADMITTED' | 'WAITING' =>
  admitted ? 'ADMITTED' : 'WAITING';

export interface AdmissionRow {
  tenant_id: string;
  pipeline_id: string;
  step_id: string;
  admission_limit: number | string;
  outstanding: number | string;
  waiting: number | string;
}

export function admissionFromRow(r: AdmissionRow): AwaitAdmissionRecord {
  return {
    tenantId: r.tenant_id,
    pipelineId: r.pipeline_id,
    stepId: r.step_id,
    limit: Number(r.admission_limit),
    outstanding: Number(r.outstanding),
    waiting: Number(r.waiting),
  };
}
