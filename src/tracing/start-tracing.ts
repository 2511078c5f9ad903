import { NO_TRACING, type Tracing } from './tracing.ts';

/** `capstan.tracing.*` as configuration resolved it. */
export interface TracingOptions {
  readonly enabled: boolean;
  /** The OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly endpoint: string;
  readonly serviceName: string;
  /** The share of new traces recorded, 0 to 1; a trace continued from a parent follows the parent. */
  readonly sampleRatio: number;
  /** `service.instance.id`: the node or worker id. */
  readonly instanceId?: string | undefined;
}

/**
 * The process's tracing. Disabled, it is `NO_TRACING` and loads nothing more; enabled, the
 * OpenTelemetry SDK and the OTLP exporter load now, by dynamic import, so a process with
 * tracing off never pays for them.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  if (!options.enabled) return NO_TRACING;
  const { otelTracing } = await import('./otel-tracing.ts');
  return otelTracing(options);
}
