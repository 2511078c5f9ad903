import { ProxyTracerProvider, ROOT_CONTEXT, type Context, type Tracer } from '@opentelemetry/api';

/**
 * What Capstan traces with (docs/tracing.md): a tracer of `@opentelemetry/api` and the W3C
 * `traceparent` that carries a trace from the submit to every segment and step, in the store
 * and across the worker protocol. The OpenTelemetry SDK and exporter load only when tracing is
 * enabled (`start-tracing.ts`); otherwise this is `NO_TRACING`, whose spans record nothing and
 * which gives no `traceparent`, so nothing is stored or sent.
 */
export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** The `traceparent` that names the span active in `context`; undefined when off or none. */
  traceparentOf(context: Context): string | undefined;
  /** A context whose parent is the remote span `traceparent` names; the root context when off or malformed. */
  contextOf(traceparent: string | null | undefined): Context;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Exports what is left and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * A provider with no delegate hands out no-op tracers. Not the global provider: an application
 * that embeds Capstan and registers one of its own does not turn Capstan's tracing on.
 */
const noopTracer = new ProxyTracerProvider().getTracer('capstan');

export const NO_TRACING: Tracing = {
  enabled: false,
  tracer: noopTracer,
  traceparentOf: () => undefined,
  contextOf: () => ROOT_CONTEXT,
  flush: async () => undefined,
  shutdown: async () => undefined,
};

/** Span attribute names: ids only, never a payload (docs/tracing.md#attributes). */
export const TraceAttr = {
  TENANT: 'capstan.tenant_id',
  PIPELINE: 'capstan.pipeline_id',
  EXECUTION: 'capstan.execution_id',
  RELEASE: 'capstan.release_version',
  STEP_ID: 'capstan.step_id',
  STEP_INDEX: 'capstan.step_index',
  ATTEMPT: 'capstan.attempt',
  OUTCOME: 'capstan.outcome',
  DUPLICATE: 'capstan.duplicate',
  WORKER_ID: 'capstan.worker_id',
  WORKER_PROTOCOL: 'capstan.worker_protocol',
  ERROR_CODE: 'capstan.error_code',
  INTERACTION: 'capstan.interaction_id',
} as const;
