import type { GrpcCallOutcome } from './grpc-worker-client.ts';
import { GRPC_STATUS as status, grpcStatusName } from './grpc-status.ts';
import type { GrpcWorkerCaller } from './lazy-grpc-worker-client.ts';
import { resultOfAnswer, resultOfNoAnswer, type WorkerTransport } from './remote-transition-worker.ts';
import type { SegmentResult } from '../../segment/transition-worker.ts';

/** Statuses a worker answers before running anything, when it cannot take work from us now. */
const REFUSED_UNREAD = new Set<number>([
  status.UNAUTHENTICATED,
  status.PERMISSION_DENIED,
  status.UNIMPLEMENTED,
]);
/** Statuses of a command the worker rejected as it stands (TPF: bad protocol, IllegalState). */
const REJECTED = new Set<number>([status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.NOT_FOUND]);

/** What a call's outcome means for the segment (TPF's status mapping, docs/worker-protocol.md#grpc). */
function resultOf(outcome: GrpcCallOutcome, workerId: string): SegmentResult {
  switch (outcome.kind) {
    case 'aborted':
    case 'not-sent':
    case 'unknown':
      return resultOfNoAnswer(outcome, workerId);
    case 'answered':
      return resultOfAnswer(outcome.body, workerId);
    case 'status': {
      const reason = `${grpcStatusName(outcome.code)}: ${outcome.details}`;
      if (REFUSED_UNREAD.has(outcome.code))
        return { outcome: 'UNREACHABLE', reason: `worker ${workerId} refused the call: ${reason}` };
      if (REJECTED.has(outcome.code))
        return { outcome: 'REFUSED', reason: `worker ${workerId} rejected the command: ${reason}` };
      // INTERNAL and the rest may come from anywhere, also from after the segment ran.
      return { outcome: 'OUTCOME_UNKNOWN', reason: `worker ${workerId} failed: ${reason}` };
    }
  }
}

/** The gRPC worker protocol: `TransitionWorkerService.Execute` and `.Capabilities`, signed. */
export function grpcWorkerTransport(client: GrpcWorkerCaller): WorkerTransport {
  return {
    protocol: 'grpc',
    async execute(endpoint, command, workerId, signal, traceparent) {
      const outcome = await client.call(endpoint, 'Execute', {
        body: Buffer.from(command),
        signal,
        // Call metadata, outside the signed envelope, as gRPC carries trace context.
        ...(traceparent === undefined ? {} : { traceparent }),
      });
      return resultOf(outcome, workerId);
    },
    async capabilities(endpoint, signal) {
      const outcome = await client.call(endpoint, 'Capabilities', { signal });
      switch (outcome.kind) {
        case 'answered':
        case 'aborted':
          return outcome;
        case 'status':
          return { kind: 'failed', reason: `${grpcStatusName(outcome.code)}: ${outcome.details}` };
        default:
          return { kind: 'failed', reason: outcome.reason };
      }
    },
  };
}
