import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { buildInfo } from '../build/build-info.ts';
import type { TracingOptions } from './start-tracing.ts';
import type { Tracing } from './tracing.ts';

/**
 * The OpenTelemetry SDK behind `Tracing`: spans batched to an OTLP/HTTP (JSON) endpoint. Its
 * provider is this process's own, never registered globally, so two coordinators in one
 * process each trace with their own settings. Loaded only when tracing is enabled.
 */
export function otelTracing(options: TracingOptions): Tracing {
  const { version } = buildInfo();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': version,
      ...(options.instanceId ? { 'service.instance.id': options.instanceId } : {}),
    }),
    // A whole execution is sampled or not: its segments follow the submit's decision.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.endpoint }))],
  });
  const propagator = new W3CTraceContextPropagator();
  return {
    enabled: true,
    tracer: provider.getTracer('capstan', version),
    traceparentOf(context) {
      const carrier: Record<string, string> = {};
      propagator.inject(context, carrier, defaultTextMapSetter);
      return carrier.traceparent;
    },
    contextOf(traceparent) {
      if (!traceparent) return ROOT_CONTEXT;
      return propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
