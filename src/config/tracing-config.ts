import type { TracingOptions } from '../tracing/start-tracing.ts';
import type { Settings } from './settings.ts';

/** `capstan.tracing.*` for a process; `service` names it when `service-name` is unset. */
export function tracingOptionsOf(
  values: Settings,
  service: 'capstan' | 'capstan-worker',
  instanceId?: string,
): TracingOptions {
  return {
    enabled: values['capstan.tracing.enabled'],
    endpoint: values['capstan.tracing.endpoint'],
    serviceName: values['capstan.tracing.service-name'] ?? service,
    sampleRatio: values['capstan.tracing.sample-ratio'],
    instanceId,
  };
}
