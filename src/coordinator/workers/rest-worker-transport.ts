import { z } from 'zod';
import { CAPABILITIES_PATH, EXECUTE_PATH } from '../../worker-protocol/envelopes.ts';
import { resultOfAnswer, resultOfNoAnswer, type WorkerTransport } from './remote-transition-worker.ts';
import type { RestCallOutcome, SignedRestClient } from './signed-rest-client.ts';
import type { SegmentResult } from '../../segment/transition-worker.ts';
import { refusalOf } from './worker-refusal.ts';

/** The error code of a refusal body, which is `{error: {code, message}}` from a Capstan worker. */
function errorCodeOf(body: string): string | undefined {
  try {
    return errorBody.safeParse(JSON.parse(body)).data?.error.code;
  } catch {
    return undefined;
  }
}

const errorBody = z.object({ error: z.object({ code: z.string() }) });

/**
 * What a call's outcome means for the segment. Only a worker's signed refusal may say that
 * nothing ran: an unsigned 4xx or 5xx may come from a proxy, or from anyone, after the
 * segment ran in part, so it is an unknown outcome and goes through the policy for those.
 */
function resultOf(outcome: RestCallOutcome, workerId: string): SegmentResult {
  if (outcome.kind !== 'answered') return resultOfNoAnswer(outcome, workerId);
  const { status, body } = outcome;
  if (status >= 200 && status < 300) return resultOfAnswer(body, workerId);
  const refusal = refusalOf(status, body);
  if (!outcome.signed)
    return { outcome: 'OUTCOME_UNKNOWN', reason: `worker ${workerId}: unsigned answer ${refusal}` };
  // A segment abandoned mid-way (the call went away) may have run some of its steps.
  if (status >= 500 && errorCodeOf(body) !== 'replay_cache_full')
    return { outcome: 'OUTCOME_UNKNOWN', reason: `worker ${workerId} failed: ${refusal}` };
  // Signed refusals made before running anything: the worker cannot take work from us now.
  if (status === 401 || status === 403 || status === 404 || status === 503)
    return { outcome: 'UNREACHABLE', reason: `worker ${workerId} refused the call: ${refusal}` };
  return { outcome: 'REFUSED', reason: `worker ${workerId} rejected the command: ${refusal}` };
}

/** The REST worker protocol: a signed POST of the command, a signed GET of the capabilities. */
export function restWorkerTransport(client: SignedRestClient): WorkerTransport {
  return {
    protocol: 'rest',
    async execute(baseUrl, command, workerId, signal, traceparent) {
      const outcome = await client.call(baseUrl, {
        method: 'POST',
        path: EXECUTE_PATH,
        body: command,
        signal,
        // The W3C header, outside the signed body: nothing of the envelope changes with tracing.
        ...(traceparent === undefined ? {} : { headers: { traceparent } }),
      });
      return resultOf(outcome, workerId);
    },
    async capabilities(baseUrl, signal) {
      const outcome = await client.call(baseUrl, { method: 'GET', path: CAPABILITIES_PATH, signal });
      if (outcome.kind === 'aborted') return outcome;
      if (outcome.kind === 'answered' && outcome.status === 200)
        return { kind: 'answered', body: outcome.body };
      return {
        kind: 'failed',
        reason: outcome.kind === 'answered' ? `status ${outcome.status}` : outcome.reason,
      };
    },
  };
}
