import type { SubmitCommand } from './store-port.ts';

/**
 * The data of a `submitted` journal event, in both dialects: what the projection fold needs to
 * rebuild the execution row. `traceparent` is written only when the submit was traced, and
 * `scheduleId` only when a schedule submitted it, so the events of other executions are as they were.
 */
export function submittedEventData(c: SubmitCommand): Record<string, unknown> {
  return {
    tenantId: c.tenantId,
    pipelineId: c.pipelineId,
    contractVersion: c.contractVersion,
    releaseVersion: c.releaseVersion,
    executionKey: c.executionKey,
    inputFingerprint: c.inputFingerprint,
    input: c.input,
    ...(c.traceparent === undefined ? {} : { traceparent: c.traceparent }),
    ...(c.scheduleId === undefined ? {} : { scheduleId: c.scheduleId }),
  };
}
