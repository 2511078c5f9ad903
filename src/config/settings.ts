import { z } from 'zod';
import { parseIsoDuration } from '../util/iso-duration.ts';

const duration = z
  .string()
  .refine((s) => parseIsoDuration(s) !== undefined, 'an ISO-8601 duration such as PT10S');
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const secretRef = z.string().regex(/^(env:.+|file:.+)$/, 'a secret ref: env:NAME or file:/path');

/**
 * Every setting: its key (the seeds' names, so their examples work verbatim), schema and
 * default. From the environment a key is upper-cased with `.` and `-` turned into `_`
 * (`pipeline.orchestrator.max-retries` → `PIPELINE_ORCHESTRATOR_MAX_RETRIES`).
 */
export const settings = {
  'capstan.port': { schema: int(0, 65535), default: 8080, env: ['PORT'] },
  'capstan.host': { schema: z.string().min(1), default: '0.0.0.0', env: [] },
  'capstan.data-dir': { schema: z.string().min(1), default: './.capstan', env: ['CAPSTAN_DATA_DIR'] },
  'capstan.node-id': { schema: z.string().min(1).optional(), default: undefined, env: ['CAPSTAN_NODE_ID'] },
  'capstan.log-level': {
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    default: 'info',
    env: ['CAPSTAN_LOG_LEVEL'],
  },
  'capstan.http.body-limit-bytes': { schema: int(1024), default: 1_048_576, env: [] },
  'capstan.durability': { schema: z.enum(['full', 'relaxed']), default: 'full', env: [] },
  /** Absolute folders a `releaseDescriptorPath` (and its artifacts) may be read from; comma-separated. */
  'capstan.releases.allowed-roots': { schema: z.string(), default: '', env: [] },
  'capstan.releases.upload-limit-bytes': { schema: int(1024), default: 64 * 1_048_576, env: [] },
  'pipeline.orchestrator.mode': { schema: z.enum(['QUEUE_ASYNC']), default: 'QUEUE_ASYNC', env: [] },
  'pipeline.orchestrator.strict-startup': { schema: bool, default: false, env: [] },
  'pipeline.orchestrator.default-tenant': { schema: z.string().min(1), default: 'default', env: [] },
  'pipeline.orchestrator.tenancy.allowed-tenants': { schema: z.string(), default: '', env: [] },
  'pipeline.orchestrator.idempotency-policy': {
    schema: z.enum(['OPTIONAL_CLIENT_KEY', 'CLIENT_KEY_REQUIRED', 'SERVER_KEY_ONLY']),
    default: 'OPTIONAL_CLIENT_KEY',
    env: [],
  },
  'pipeline.orchestrator.execution-ttl-days': { schema: int(1), default: 7, env: [] },
  'pipeline.orchestrator.lease-ms': { schema: int(100), default: 30_000, env: [] },
  'pipeline.orchestrator.max-retries': { schema: int(0, 1000), default: 3, env: [] },
  'pipeline.orchestrator.retry-delay': { schema: duration, default: 'PT10S', env: [] },
  'pipeline.orchestrator.retry-multiplier': {
    schema: z.coerce.number().min(1).max(100),
    default: 2,
    env: [],
  },
  'pipeline.orchestrator.retry-max-delay': { schema: duration, default: 'PT30M', env: [] },
  'pipeline.orchestrator.sweep-interval': { schema: duration, default: 'PT30S', env: [] },
  'pipeline.orchestrator.sweep-limit': { schema: int(1, 100_000), default: 100, env: [] },
  'pipeline.orchestrator.state-provider': { schema: z.enum(['sqlite']), default: 'sqlite', env: [] },
  'pipeline.orchestrator.dispatcher-provider': { schema: z.enum(['event']), default: 'event', env: [] },
  'pipeline.orchestrator.dlq-provider': { schema: z.enum(['log', 'none']), default: 'log', env: [] },
  'pipeline.orchestrator.worker.max-in-flight': { schema: int(1, 100_000), default: 64, env: [] },
  'pipeline.orchestrator.worker.lifecycle.stale-after': { schema: duration, default: 'PT2M', env: [] },
  /** The worker role's token: opens worker register and heartbeat only. Generated when unset. */
  'pipeline.orchestrator.worker.token-ref': { schema: secretRef.optional(), default: undefined, env: [] },
  'pipeline.orchestrator.control-plane.enabled': { schema: bool, default: true, env: [] },
  'pipeline.orchestrator.control-plane.admin-token-ref': {
    schema: secretRef.optional(),
    default: undefined,
    env: [],
  },
  'pipeline.orchestrator.admin.enabled': { schema: bool, default: true, env: [] },
  'pipeline.orchestrator.admin.admin-token-ref': {
    schema: secretRef.optional(),
    default: undefined,
    env: [],
  },
} as const satisfies Record<string, { schema: z.ZodType; default: unknown; env: readonly string[] }>;

export type SettingKey = keyof typeof settings;
export type Settings = { readonly [K in SettingKey]: z.output<(typeof settings)[K]['schema']> };

/** The environment variable a key is read from. */
export function envNameOf(key: string): string {
  return key.toUpperCase().replace(/[.-]/g, '_');
}
