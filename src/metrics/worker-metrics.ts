import { Counter, Histogram, type Registry } from 'prom-client';
import type { WorkerTransport } from '../coordinator/workers/remote-transition-worker.ts';

/** Seconds buckets for one call to a remote worker (a segment of steps, up to the request timeout). */
const CALL_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The remote worker protocol as the coordinator sees it: how long each call took, by transport
 * and by how it ended, and the calls that failed on the way (no answer, an unsigned or refused
 * one) by reason. Outcomes and reasons are fixed words, never a worker id or an endpoint.
 */
export class WorkerMetrics {
  readonly #duration: Histogram<'transport' | 'outcome'>;
  readonly #failures: Counter<'transport' | 'reason'>;

  constructor(registry: Registry) {
    this.#duration = new Histogram({
      name: 'capstan_worker_request_duration_seconds',
      help: 'Calls to remote workers (execute and capabilities) by transport and outcome.',
      labelNames: ['transport', 'outcome'],
      buckets: CALL_SECONDS,
      registers: [registry],
    });
    this.#failures = new Counter({
      name: 'capstan_worker_transport_failures_total',
      help: 'Calls to remote workers that got no usable answer: unreachable (not sent), outcome_unknown (maybe run), refused, capabilities_failed (a probe) or error.',
      labelNames: ['transport', 'reason'],
      registers: [registry],
    });
  }

  /** The same transport, each call timed and its failures counted. */
  instrument(transport: WorkerTransport): WorkerTransport {
    const labels = (outcome: string) => ({ transport: transport.protocol, outcome });
    return {
      protocol: transport.protocol,
      execute: async (endpoint, command, workerId, signal, traceparent) => {
        const end = this.#duration.startTimer();
        try {
          const result = await transport.execute(endpoint, command, workerId, signal, traceparent);
          const outcome = result.outcome.toLowerCase();
          end(labels(outcome));
          if (
            result.outcome === 'UNREACHABLE' ||
            result.outcome === 'OUTCOME_UNKNOWN' ||
            result.outcome === 'REFUSED'
          )
            this.#failures.inc({ transport: transport.protocol, reason: outcome });
          return result;
        } catch (error) {
          end(labels('error'));
          this.#failures.inc({ transport: transport.protocol, reason: 'error' });
          throw error;
        }
      },
      capabilities: async (endpoint, signal) => {
        const end = this.#duration.startTimer();
        try {
          const answer = await transport.capabilities(endpoint, signal);
          end(labels(`capabilities_${answer.kind}`));
          if (answer.kind === 'failed')
            this.#failures.inc({ transport: transport.protocol, reason: 'capabilities_failed' });
          return answer;
        } catch (error) {
          end(labels('capabilities_error'));
          this.#failures.inc({ transport: transport.protocol, reason: 'capabilities_error' });
          throw error;
        }
      },
    };
  }
}
