import { z } from 'zod';
import { DEFAULT_ARCHIVE_LIMITS } from '../releases/archive-limits.ts';
import { checkSchemaName } from '../store/schema-name.ts';
import { parseIsoDuration } from '../util/iso-duration.ts';

const duration = z
  .string()
  .refine((s) => parseIsoDuration(s) !== undefined, 'an ISO-8601 duration such as PT10S');
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const secretRef = z.string().regex(/^(env:.+|file:.+)$/, 'a secret ref: env:NAME or file:/path');
/** A connection URL, or a ref to one (it usually carries a password). The value is never echoed. */
const postgresUrl = z
  .string()
  .regex(
    /^(env:.+|file:.+|postgres(ql)?:\/\/.+)$/,
    'a postgres://user:password@host:port/database URL, or a secret ref to one: env:NAME or file:/path',
  );
const schemaName = z.string().refine((s) => {
  try {
    return checkSchemaName(s) === s;
  } catch {
    return false;
  }
}, 'a PostgreSQL schema name: a lower-case letter or _, then lower-case letters, digits or _ (63 at most)');
const s3Bucket = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens',
  );
const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+/, 'an http:// or https:// URL');
/** More signing keys by id, for rotation: `k2=env:NEW_SECRET,k1=file:/run/secrets/old`. */
const secretRefList = z
  .string()
  .regex(
    /^\s*$|^\s*[A-Za-z0-9._-]{1,64}=(env|file):[^,]+(\s*,\s*[A-Za-z0-9._-]{1,64}=(env|file):[^,]+)*\s*$/,
    'comma-separated keyId=env:NAME or keyId=file:/path',
  );
/** Await admission budgets by step: `orders/approve=10,csv-payments/provider=250`. */
const admissionBudgetList = z
  .string()
  .regex(
    /^\s*$|^\s*[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+=[1-9][0-9]{0,6}(\s*,\s*[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+=[1-9][0-9]{0,6})*\s*$/,
    'comma-separated <pipeline>/<step>=<n>, n from 1 to 9999999',
  );
const keyId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);
/** A gRPC target: `host:port`, the host a name, an IPv4 address or a bracketed IPv6 one. */
const grpcEndpoint = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

/**
 * Every setting: its key (the seeds' names, so their examples work verbatim), schema and
 * default. From the environment a key is upper-cased with `.` and `-` turned into `_`
 * (`pipeline.orchestrator.max-retries` → `PIPELINE_ORCHESTRATOR_MAX_RETRIES`).
 */
export const settings = {
  /** The HTTP API port (`--port`); 0 picks a free one, printed at start. */
  'capstan.port': { schema: int(0, 65535), default: 8080, env: ['PORT'] },
  /** Loopback unless widened on purpose (`--host 0.0.0.0`): nothing listens on a network by accident. */
  'capstan.host': { schema: z.string().min(1), default: '127.0.0.1', env: [] },
  /** Where a node keeps its SQLite store, generated tokens (`tokens.json`) and local artifacts (`--data-dir`). */
  'capstan.data-dir': { schema: z.string().min(1), default: './.capstan', env: ['CAPSTAN_DATA_DIR'] },
  /** This node's name in the cluster registry, leases and logs (`--node-id`); unset: `<hostname>:<port>`. For `capstan worker`, its worker id. */
  'capstan.node-id': { schema: z.string().min(1).optional(), default: undefined, env: ['CAPSTAN_NODE_ID'] },
  /** The least severe log record written (`--log-level`). */
  'capstan.log-level': {
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    default: 'info',
    env: ['CAPSTAN_LOG_LEVEL'],
  },
  /** `auto`: one readable line per record when stdout is a terminal, JSON lines otherwise. */
  'capstan.log-format': {
    schema: z.enum(['auto', 'json', 'pretty']),
    default: 'auto',
    env: ['CAPSTAN_LOG_FORMAT'],
  },
  /** The largest request body the API accepts (413 `payload_too_large` past it); release uploads have their own limit. */
  'capstan.http.body-limit-bytes': { schema: int(1024), default: 1_048_576, env: [] },
  /** How deep a JSON body may nest objects and arrays; deeper is a 400 `json_too_deep`. */
  'capstan.http.max-json-depth': { schema: int(2, 10_000), default: 64, env: [] },
  /** Result long-polls (`?waitMs=`) waiting at once on a node; past it a poll answers at once. */
  'capstan.http.max-long-polls': { schema: int(0), default: 1000, env: [] },
  /** Submissions per second per tenant on a node (429 `rate_limited` past it); 0: no limit. */
  'capstan.http.submit-rate-per-second': { schema: int(0), default: 0, env: [] },
  /**
   * A listener of its own serving `GET /metrics` without a token (Prometheus on a private
   * network); unset: `/metrics` is served only on the API port, with an operator or admin token.
   */
  'capstan.metrics.port': {
    schema: int(0, 65535).optional(),
    default: undefined,
    env: ['CAPSTAN_METRICS_PORT'],
  },
  /** Where the metrics listener binds: loopback unless widened on purpose. */
  'capstan.metrics.host': { schema: z.string().min(1), default: '127.0.0.1', env: [] },
  /**
   * OpenTelemetry traces (docs/tracing.md): submit, segment and step spans sent over OTLP/HTTP.
   * Off, the OpenTelemetry SDK is never loaded and nothing is added to worker calls.
   */
  'capstan.tracing.enabled': { schema: bool, default: false, env: [] },
  /** The OTLP/HTTP traces endpoint (JSON); the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` sets it too. */
  'capstan.tracing.endpoint': {
    schema: httpUrl,
    default: 'http://127.0.0.1:4318/v1/traces',
    env: ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
  },
  /** `service.name` of the spans; unset: `capstan` for a coordinator, `capstan-worker` for a worker. */
  'capstan.tracing.service-name': { schema: z.string().min(1).optional(), default: undefined, env: [] },
  /** The share of executions traced, 0 to 1: decided once at submit, kept by every segment. */
  'capstan.tracing.sample-ratio': { schema: z.coerce.number().min(0).max(1), default: 1, env: [] },
  /** The web console at /console (docs/console.md). */
  'capstan.console.enabled': { schema: bool, default: true, env: [] },
  /** How long one try of a step that sets no `timeout` may run before it fails with `step_timeout`. */
  'capstan.step-timeout': {
    schema: duration.refine((s) => (parseIsoDuration(s) ?? 0) >= 1, 'at least PT0.001S'),
    default: 'PT5M',
    env: [],
  },
  /** The most items one `expand` step may make (docs/items.md); past it the step fails `items_limit_exceeded`. */
  'capstan.items.max-per-execution': { schema: int(1, 1_000_000), default: 10_000, env: [] },
  /** How late a schedule's slot may fire and still count as on time (docs/schedules.md); a slot later than that is missed, and the schedule's missed-fire policy decides whether it fires. */
  'capstan.schedules.misfire-grace': { schema: duration, default: 'PT1M', env: [] },
  /** `full`: SQLite `synchronous=FULL`, every acknowledged commit survives a power loss; `relaxed`: `NORMAL`, a power loss may lose the last commits (refused with `strict-startup`). */
  'capstan.durability': { schema: z.enum(['full', 'relaxed']), default: 'full', env: [] },
  /**
   * Retention (docs/retention.md): where the maintenance leader writes each expiring execution's
   * history export (the `capstan export` format) before deleting it; unset, none is written.
   */
  'capstan.retention.archive-dir': { schema: z.string().min(1).optional(), default: undefined, env: [] },
  /** Executions one retention batch deletes at most, items included, in one short transaction. */
  'capstan.retention.batch-size': { schema: int(1, 10_000), default: 100, env: [] },
  /** Retention batches one maintenance pass runs at most, while they come back full. */
  'capstan.retention.batches-per-pass': { schema: int(1, 1000), default: 10, env: [] },
  /** Absolute folders a `releaseDescriptorPath` (and its artifacts) may be read from; comma-separated. */
  'capstan.releases.allowed-roots': { schema: z.string(), default: '', env: [] },
  /**
   * Where the coordinator may send commands: comma-separated `host:port` or `host:*` patterns.
   * A registration at another endpoint is refused (403) and workers registered there earlier
   * are not dispatched to. Empty: any endpoint.
   */
  'capstan.workers.allowed-endpoints': {
    schema: z
      .string()
      .refine(
        (csv) =>
          csv
            .split(',')
            .every((p) => !p.trim() || /^(\[[0-9a-f:.]+\]|[^:/\s[\]]+):(\d{1,5}|\*)$/i.test(p.trim())),
        'comma-separated host:port or host:* patterns',
      ),
    default: '',
    env: [],
  },
  /** The largest release archive `POST /tpf/admin/releases` accepts. */
  'capstan.releases.upload-limit-bytes': { schema: int(1024), default: 64 * 1_048_576, env: [] },
  /** Caps on unpacking one release archive (uploaded, or an application-archive artifact). */
  'capstan.releases.archive.max-unpacked-bytes': {
    schema: int(1024),
    default: DEFAULT_ARCHIVE_LIMITS.maxUnpackedBytes,
    env: [],
  },
  /** The most files one release archive may unpack to (413 past it). */
  'capstan.releases.archive.max-entries': {
    schema: int(1),
    default: DEFAULT_ARCHIVE_LIMITS.maxEntries,
    env: [],
  },
  /** The largest single file in a release archive (413 past it). */
  'capstan.releases.archive.max-entry-bytes': {
    schema: int(1),
    default: DEFAULT_ARCHIVE_LIMITS.maxEntryBytes,
    env: [],
  },
  /** Where registered artifacts are kept: `local` (one node's disk) or `s3` (shared by every node). */
  'pipeline.orchestrator.releases.storage.provider': {
    schema: z.enum(['local', 's3']),
    default: 'local',
    env: [],
  },
  /** The local store's folder; unset: `<data-dir>/artifacts`. */
  'pipeline.orchestrator.releases.storage.root': {
    schema: z.string().min(1).optional(),
    default: undefined,
    env: [],
  },
  /** Required with storage.provider=s3. */
  'pipeline.orchestrator.releases.storage.s3.bucket': {
    schema: s3Bucket.optional(),
    default: undefined,
    env: [],
  },
  /** Objects are `<prefix>/sha256/<hex>`; TPF's default prefix, so a bucket can be laid out alike. */
  'pipeline.orchestrator.releases.storage.s3.prefix': {
    schema: z.string(),
    default: 'tpf/releases',
    env: [],
  },
  /** Unset: the AWS SDK's region chain (`AWS_REGION`, the profile). */
  'pipeline.orchestrator.releases.storage.s3.region': {
    schema: z.string().min(1).optional(),
    default: undefined,
    env: [],
  },
  /** Another S3-compatible service (MinIO, …); TPF's `endpoint-override` sets it too. */
  'pipeline.orchestrator.releases.storage.s3.endpoint': {
    schema: httpUrl.optional(),
    default: undefined,
    env: ['PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_ENDPOINT_OVERRIDE'],
  },
  /** `bucket` in the path rather than the host name, as most self-hosted services need. */
  'pipeline.orchestrator.releases.storage.s3.path-style': {
    schema: bool,
    default: false,
    env: ['PIPELINE_ORCHESTRATOR_RELEASES_STORAGE_S3_PATH_STYLE_ACCESS'],
  },
  /** Both or neither; neither: the AWS SDK's credential chain (environment, profile, instance role). */
  'pipeline.orchestrator.releases.storage.s3.access-key-id-ref': {
    schema: secretRef.optional(),
    default: undefined,
    env: [],
  },
  /** The secret key matching `access-key-id-ref`, as a ref (`env:NAME`, `file:/path`). */
  'pipeline.orchestrator.releases.storage.s3.secret-access-key-ref': {
    schema: secretRef.optional(),
    default: undefined,
    env: [],
  },
  /** TPF's orchestration mode; Capstan runs `QUEUE_ASYNC` (submissions return at once, steps run from a durable queue). */
  'pipeline.orchestrator.mode': { schema: z.enum(['QUEUE_ASYNC']), default: 'QUEUE_ASYNC', env: [] },
  /** `true` refuses to start with generated tokens, relaxed durability or any configuration warning: for production, where a silent default is a mistake. */
  'pipeline.orchestrator.strict-startup': { schema: bool, default: false, env: [] },
  /** The tenant of a submission that names none, and of the pipelines a node or worker hosts. */
  'pipeline.orchestrator.default-tenant': { schema: z.string().min(1), default: 'default', env: [] },
  /** Comma-separated tenant ids this coordinator serves; any other is 404 `tenant_not_found`. Empty: any well-formed tenant id. */
  'pipeline.orchestrator.tenancy.allowed-tenants': { schema: z.string(), default: '', env: [] },
  /** `OPTIONAL_CLIENT_KEY`: a submit may carry an idempotency key; `CLIENT_KEY_REQUIRED`: one without is a 400; `SERVER_KEY_ONLY`: client keys are ignored, every submit is a new execution. */
  'pipeline.orchestrator.idempotency-policy': {
    schema: z.enum(['OPTIONAL_CLIENT_KEY', 'CLIENT_KEY_REQUIRED', 'SERVER_KEY_ONLY']),
    default: 'OPTIONAL_CLIENT_KEY',
    env: [],
  },
  /** How long a terminal execution and its history are kept before the maintenance leader purges them (docs/retention.md). */
  'pipeline.orchestrator.execution-ttl-days': { schema: int(1), default: 7, env: [] },
  /** How long a claim on a segment lasts before another node or worker may reclaim it; a running step renews it. */
  'pipeline.orchestrator.lease-ms': { schema: int(100), default: 30_000, env: [] },
  /** Retries of a failed step (a step may set its own) before the execution goes to the dead-letter queue. */
  'pipeline.orchestrator.max-retries': { schema: int(0, 1000), default: 3, env: [] },
  /** The delay before the first retry; each next one is multiplied by `retry-multiplier`. */
  'pipeline.orchestrator.retry-delay': { schema: duration, default: 'PT10S', env: [] },
  /** The factor between one retry delay and the next (exponential backoff). */
  'pipeline.orchestrator.retry-multiplier': {
    schema: z.coerce.number().min(1).max(100),
    default: 2,
    env: [],
  },
  /** The longest a retry delay grows to. */
  'pipeline.orchestrator.retry-max-delay': { schema: duration, default: 'PT30M', env: [] },
  /** Each retry delay is spread by up to ± this fraction, so retries after a shared outage do not arrive at once. */
  'pipeline.orchestrator.retry-jitter': { schema: z.coerce.number().min(0).max(1), default: 0.2, env: [] },
  /** How often a node runs its maintenance pass: reclaim expired leases, time out awaits, purge past the TTL, and wake work that fell due. */
  'pipeline.orchestrator.sweep-interval': { schema: duration, default: 'PT30S', env: [] },
  /** The most rows one maintenance action touches in a pass (leases reclaimed, awaits timed out, due work woken), so no pass holds a long transaction; purges have their own `capstan.retention.*` batches. */
  'pipeline.orchestrator.sweep-limit': { schema: int(1, 100_000), default: 100, env: [] },
  /** `sqlite`: the embedded file in the data directory; `postgres`: a shared database (`postgres.url`). */
  'pipeline.orchestrator.state-provider': {
    schema: z.enum(['sqlite', 'postgres']),
    default: 'sqlite',
    env: [],
  },
  /** Required with state-provider=postgres: a literal URL or a secret ref (`env:NAME`, `file:/path`). */
  'pipeline.orchestrator.postgres.url': { schema: postgresUrl.optional(), default: undefined, env: [] },
  /** The PostgreSQL schema holding Capstan's tables: several deployments can share one database. */
  'pipeline.orchestrator.postgres.schema': { schema: schemaName, default: 'capstan', env: [] },
  /** Connections each node keeps to PostgreSQL (plus one for LISTEN). */
  'pipeline.orchestrator.postgres.pool-size': { schema: int(1, 1000), default: 10, env: [] },
  /** `false`: the schema must already be migrated (`capstan migrate`), else the coordinator refuses to start. */
  'pipeline.orchestrator.postgres.migrate-on-start': { schema: bool, default: true, env: [] },
  /** How long the maintenance leadership lasts without renewal when nodes share a store. */
  'pipeline.orchestrator.cluster.leader-lease': {
    schema: duration.refine((s) => (parseIsoDuration(s) ?? 1000) >= 1000, 'at least PT1S'),
    default: 'PT15S',
    env: [],
  },
  /**
   * How far this node's clock may be from the database's (PostgreSQL) before it reports not
   * ready, stops leading maintenance and refuses to start: leases and due times are compared
   * across nodes, so a clock ahead would reclaim live leases.
   */
  'pipeline.orchestrator.cluster.max-clock-skew': {
    schema: duration.refine((s) => (parseIsoDuration(s) ?? 1) > 0, 'more than zero'),
    default: 'PT2S',
    env: [],
  },
  /** How long a node trusts its cached active release when no activation signal reaches it. */
  'pipeline.orchestrator.releases.active-cache-ttl': { schema: duration, default: 'PT5S', env: [] },
  /** TPF's dispatcher choice; Capstan's is `event`: work is dispatched when it is committed, with the sweep as a safety net. */
  'pipeline.orchestrator.dispatcher-provider': { schema: z.enum(['event']), default: 'event', env: [] },
  /** `log`: an execution that exhausts its retries ends `DLQ` and can be re-driven; `none`: it ends `FAILED`. */
  'pipeline.orchestrator.dlq-provider': { schema: z.enum(['log', 'none']), default: 'log', env: [] },
  /** Segments one node dispatches at once, local and remote together. */
  'pipeline.orchestrator.worker.max-in-flight': { schema: int(1, 100_000), default: 64, env: [] },
  /** A worker without a heartbeat for this long is `STALE` and not dispatched to. */
  'pipeline.orchestrator.worker.lifecycle.stale-after': { schema: duration, default: 'PT2M', env: [] },
  /** How long worker lifecycle transitions (register, drain, undrain, unavailable) stay in the history. */
  'pipeline.orchestrator.worker.lifecycle.history-retention': { schema: duration, default: 'P7D', env: [] },
  /** The worker role's token: opens worker register and heartbeat only. Generated when unset. */
  'pipeline.orchestrator.worker.token-ref': { schema: secretRef.optional(), default: undefined, env: [] },
  /**
   * Remote REST workers. The coordinator dispatches to the workers listed in `base-url`
   * (comma-separated; it probes their capabilities and registers them) and to those that
   * register themselves with protocol `rest`; both need the shared secret. A worker
   * (`capstan worker`) serves the protocol when `server-enabled`, with the same secret.
   */
  'pipeline.orchestrator.worker.rest.base-url': {
    schema: z
      .string()
      .refine(
        (csv) => csv.split(',').every((u) => !u.trim() || /^https?:\/\/[^\s,]+$/.test(u.trim())),
        'comma-separated http:// or https:// URLs',
      ),
    default: '',
    env: [],
  },
  /** `capstan worker` serves the REST worker protocol; `false` with nothing else to serve refuses to start. */
  'pipeline.orchestrator.worker.rest.server-enabled': { schema: bool, default: true, env: [] },
  /** The default signing key (requests without a key id, as TPF sends them). */
  'pipeline.orchestrator.worker.rest.shared-secret-ref': {
    schema: secretRef.optional(),
    default: undefined,
    env: [],
  },
  /** More keys, by key id, for rotation: `k2=env:NEW_SECRET,k1=file:/run/secrets/old`. */
  'pipeline.orchestrator.worker.rest.secret-refs': { schema: secretRefList, default: '', env: [] },
  /** The key id this side signs requests with; unset: the default key, sent without a key id. */
  'pipeline.orchestrator.worker.rest.signing-key-id': {
    schema: keyId.optional(),
    default: undefined,
    env: [],
  },
  /** How far a signed request's timestamp may be from this side's clock before it is refused (replay window). */
  'pipeline.orchestrator.worker.rest.signature-tolerance': { schema: duration, default: 'PT2M', env: [] },
  /** How long connecting to a REST worker may take before the try fails. */
  'pipeline.orchestrator.worker.rest.connect-timeout': { schema: duration, default: 'PT2S', env: [] },
  /** How long a REST worker may take to answer a segment; above the longest segment. */
  'pipeline.orchestrator.worker.rest.request-timeout': { schema: duration, default: 'PT30S', env: [] },
  /** How long an idle connection to a REST worker is kept for the next call; PT0S opens one per call. */
  'pipeline.orchestrator.worker.rest.keep-alive': { schema: duration, default: 'PT2S', env: [] },
  /**
   * Remote gRPC workers (`TransitionWorkerService`), configured like REST ones with their own
   * secret: the coordinator dispatches to the workers listed in `endpoint` (comma-separated
   * `host:port`; it probes and registers them) and to those that register with protocol `grpc`.
   * A worker (`capstan worker`) serves gRPC when `server-enabled`, on `capstan.worker.grpc-port`.
   */
  'pipeline.orchestrator.worker.grpc.endpoint': {
    schema: z
      .string()
      .refine(
        (csv) => csv.split(',').every((e) => !e.trim() || grpcEndpoint.test(e.trim())),
        'comma-separated host:port endpoints',
      ),
    default: '',
    env: [],
  },
  /** `capstan worker` serves gRPC (`--grpc-port` sets it too) and registers over it. */
  'pipeline.orchestrator.worker.grpc.server-enabled': { schema: bool, default: false, env: [] },
  /** The gRPC worker protocol's default signing key, as a ref (`env:NAME`, `file:/path`). */
  'pipeline.orchestrator.worker.grpc.shared-secret-ref': {
    schema: secretRef.optional(),
    default: undefined,
    env: [],
  },
  /** More gRPC keys, by key id, for rotation: `k2=env:NEW_SECRET,k1=file:/run/secrets/old`. */
  'pipeline.orchestrator.worker.grpc.secret-refs': { schema: secretRefList, default: '', env: [] },
  /** The key id this side signs gRPC messages with; unset: the default key. */
  'pipeline.orchestrator.worker.grpc.signing-key-id': {
    schema: keyId.optional(),
    default: undefined,
    env: [],
  },
  /** How far a signed gRPC message's timestamp may be from this side's clock before it is refused. */
  'pipeline.orchestrator.worker.grpc.signature-tolerance': { schema: duration, default: 'PT2M', env: [] },
  /** How long connecting to a gRPC worker may take before the try fails. */
  'pipeline.orchestrator.worker.grpc.connect-timeout': { schema: duration, default: 'PT2S', env: [] },
  /** How long a gRPC worker may take to answer a segment; above the longest segment. */
  'pipeline.orchestrator.worker.grpc.request-timeout': { schema: duration, default: 'PT30S', env: [] },
  /** Only plaintext is implemented: `false` (TLS) is refused at start. Messages are signed, not encrypted. */
  'pipeline.orchestrator.worker.grpc.plaintext': { schema: bool, default: true, env: [] },
  /** The largest gRPC message a side accepts, in bytes: results on a coordinator, commands on a worker. */
  'pipeline.orchestrator.worker.grpc.max-inbound-message-size': {
    schema: int(1024, 2 ** 31 - 1),
    default: 4 * 1_048_576,
    env: [],
  },
  /**
   * Queue workers (docs/queue-workers.md): segments travel over a broker, requests on the queue
   * a worker group registered as its endpoint, replies on one reply destination every node
   * shares. Off until `broker` is set; signed with their own secret like REST and gRPC.
   */
  'pipeline.orchestrator.worker.queue.broker': {
    schema: z.enum(['nats', 'rabbitmq', 'sqs']).optional(),
    default: undefined,
    env: [],
  },
  /** The NATS stream, the RabbitMQ queue prefix and reply exchange, or the SQS queue prefix, of this deployment. */
  'pipeline.orchestrator.worker.queue.name': {
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -'),
    default: 'CAPSTAN_SEGMENTS',
    env: [],
  },
  /** The NATS server queue workers use, with `broker=nats`; a literal URL or a secret ref. */
  'pipeline.orchestrator.worker.queue.nats-url': {
    schema: z.string().regex(/^(env:.+|file:.+|(nats|tls):\/\/.+)$/, 'a nats:// URL, or a secret ref to one'),
    default: 'nats://127.0.0.1:4222',
    env: ['CAPSTAN_NATS_URL'],
  },
  /** The RabbitMQ server queue workers use, with `broker=rabbitmq`; a literal URL or a secret ref. */
  'pipeline.orchestrator.worker.queue.amqp-url': {
    schema: z.string().regex(/^(env:.+|file:.+|amqps?:\/\/.+)$/, 'an amqp:// URL, or a secret ref to one'),
    default: 'amqp://guest:guest@127.0.0.1:5672',
    env: ['CAPSTAN_AMQP_URL'],
  },
  /** An SQS-compatible server's URL; unset: AWS's own endpoint for the region. */
  'pipeline.orchestrator.worker.queue.sqs-endpoint': {
    schema: httpUrl.optional(),
    default: undefined,
    env: ['CAPSTAN_SQS_ENDPOINT'],
  },
  /** The AWS region of the SQS queues, with `broker=sqs`. */
  'pipeline.orchestrator.worker.queue.sqs-region': {
    schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as us-east-1'),
    default: 'us-east-1',
    env: ['AWS_REGION'],
  },
  /** `capstan worker --queue`: the request queue (worker group) it consumes and registers as endpoint. */
  'pipeline.orchestrator.worker.queue.group': {
    schema: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a queue name'),
    default: 'default',
    env: [],
  },
  /** NATS (ack wait) and SQS (visibility timeout): how long a taken message may stay unacknowledged before it is delivered again; above request-timeout. */
  'pipeline.orchestrator.worker.queue.ack-wait': { schema: duration, default: 'PT60S', env: [] },
  /** Requests a worker runs at once; replies a node holds at once. */
  'pipeline.orchestrator.worker.queue.max-in-flight': { schema: int(1, 10_000), default: 16, env: [] },
  /** The queue worker protocol's default signing key, as a ref; required once `broker` is set. */
  'pipeline.orchestrator.worker.queue.shared-secret-ref': {
    schema: secretRef.optional(),
    default: undefined,
    env: [],
  },
  /** More queue keys, by key id, for rotation. */
  'pipeline.orchestrator.worker.queue.secret-refs': { schema: secretRefList, default: '', env: [] },
  /** The key id this side signs queue messages with; unset: the default key. */
  'pipeline.orchestrator.worker.queue.signing-key-id': {
    schema: keyId.optional(),
    default: undefined,
    env: [],
  },
  /** How far a signed queue message's timestamp may be from this side's clock before it is refused. */
  'pipeline.orchestrator.worker.queue.signature-tolerance': { schema: duration, default: 'PT2M', env: [] },
  /** How long the broker may take to accept a connection. */
  'pipeline.orchestrator.worker.queue.connect-timeout': { schema: duration, default: 'PT2S', env: [] },
  /** How long a node waits for a segment's reply; a worker drops a request older than this unrun. */
  'pipeline.orchestrator.worker.queue.request-timeout': { schema: duration, default: 'PT30S', env: [] },
  /** After a remote call timed out once sent: `retry` (same idempotency key) or `dlq`. */
  'pipeline.orchestrator.remote-outcome-unknown-policy': {
    schema: z.enum(['retry', 'dlq']),
    default: 'retry',
    env: [],
  },
  /** `capstan worker`: the coordinator it registers with and heartbeats to (none: it only serves). */
  'capstan.worker.coordinator-url': {
    schema: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL')
      .optional(),
    default: undefined,
    env: ['CAPSTAN_COORDINATOR_URL'],
  },
  /** `capstan worker`: the base URL it registers (default http://<host or hostname>:<port>). */
  'capstan.worker.advertised-url': {
    schema: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL')
      .optional(),
    default: undefined,
    env: [],
  },
  /** `capstan worker`: how often it heartbeats to its coordinator; well under `worker.lifecycle.stale-after`. */
  'capstan.worker.heartbeat-interval': { schema: duration, default: 'PT30S', env: [] },
  /**
   * `capstan worker --pull`: the coordinator (any node) it pulls segments from, instead of
   * serving the worker protocol (docs/pull-workers.md).
   */
  'capstan.worker.pull-url': {
    schema: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL')
      .optional(),
    default: undefined,
    env: ['CAPSTAN_PULL_URL'],
  },
  /** `capstan worker --pull`: segments it runs at once; it never asks for more than its free slots. */
  'capstan.worker.pull-slots': { schema: int(1, 100), default: 4, env: [] },
  /** `capstan worker --pull`: how long one poll waits for work (the coordinator caps it at 60 s). */
  'capstan.worker.pull-wait': { schema: duration, default: 'PT30S', env: [] },
  /** `capstan worker`: the gRPC port, with `worker.grpc.server-enabled` (`--grpc-port` sets both). */
  'capstan.worker.grpc-port': { schema: int(0, 65535), default: 9090, env: [] },
  /** `capstan worker`: the gRPC `host:port` it registers (default <host or hostname>:<grpc-port>). */
  'capstan.worker.grpc-advertised-endpoint': {
    schema: z.string().regex(grpcEndpoint, 'host:port').optional(),
    default: undefined,
    env: [],
  },
  // Await transports (docs/await-transports.md): each is off until enabled; await steps name one.
  /** The NATS JetStream await transport: requests published to a stream, completions consumed from it. */
  'capstan.awaits.transports.nats.enabled': { schema: bool, default: false, env: [] },
  /** The NATS server of the NATS await transport; a literal URL or a secret ref. */
  'capstan.awaits.transports.nats.url': {
    schema: z.string().regex(/^(env:.+|file:.+|(nats|tls):\/\/.+)$/, 'a nats:// URL, or a secret ref to one'),
    default: 'nats://127.0.0.1:4222',
    env: ['CAPSTAN_NATS_URL'],
  },
  /** The JetStream stream holding requests and completions (a work queue); created when missing. */
  'capstan.awaits.transports.nats.stream': {
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a stream name: letters, digits, _ and -'),
    default: 'CAPSTAN_AWAITS',
    env: [],
  },
  /** Requests go to `<prefix>.requests`, completions come from `<prefix>.completions`. */
  'capstan.awaits.transports.nats.subject-prefix': {
    schema: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated subject tokens'),
    default: 'capstan.awaits',
    env: [],
  },
  /** How long a delivered completion may stay unacknowledged before JetStream redelivers it. */
  'capstan.awaits.transports.nats.ack-wait': { schema: duration, default: 'PT30S', env: [] },
  /** Completions a node handles at once from NATS. */
  'capstan.awaits.transports.nats.max-in-flight': { schema: int(1, 10_000), default: 64, env: [] },
  /** The RabbitMQ await transport: requests published to a queue, completions consumed from another. */
  'capstan.awaits.transports.rabbitmq.enabled': { schema: bool, default: false, env: [] },
  /** The RabbitMQ server of the RabbitMQ await transport; a literal URL or a secret ref. */
  'capstan.awaits.transports.rabbitmq.url': {
    schema: z.string().regex(/^(env:.+|file:.+|amqps?:\/\/.+)$/, 'an amqp:// URL, or a secret ref to one'),
    default: 'amqp://guest:guest@127.0.0.1:5672',
    env: ['CAPSTAN_AMQP_URL'],
  },
  /** Durable queues `<prefix>.requests` and `<prefix>.completions`, declared when missing. */
  'capstan.awaits.transports.rabbitmq.queue-prefix': {
    schema: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a queue name prefix'),
    default: 'capstan.awaits',
    env: [],
  },
  /** Unacknowledged completions RabbitMQ hands a node at once. */
  'capstan.awaits.transports.rabbitmq.prefetch': { schema: int(1, 10_000), default: 32, env: [] },
  /** The SQS await transport: requests sent to one queue, completions received from another. */
  'capstan.awaits.transports.sqs.enabled': { schema: bool, default: false, env: [] },
  /** An SQS-compatible server's URL; unset: AWS's own endpoint for the region. */
  'capstan.awaits.transports.sqs.endpoint': {
    schema: httpUrl.optional(),
    default: undefined,
    env: ['CAPSTAN_SQS_ENDPOINT'],
  },
  /** The AWS region of the SQS await queues. */
  'capstan.awaits.transports.sqs.region': {
    schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as us-east-1'),
    default: 'us-east-1',
    env: ['AWS_REGION'],
  },
  /** Standard queues `<prefix>-requests` and `<prefix>-completions`, created when missing. */
  'capstan.awaits.transports.sqs.queue-prefix': {
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/, 'a queue name prefix: letters, digits, _ and -'),
    default: 'capstan-awaits',
    env: [],
  },
  /** How long a received completion stays invisible before SQS delivers it again. */
  'capstan.awaits.transports.sqs.visibility-timeout': { schema: duration, default: 'PT30S', env: [] },
  /** Completions a node handles at once from SQS. */
  'capstan.awaits.transports.sqs.max-in-flight': { schema: int(1, 10_000), default: 32, env: [] },
  /** The webhook await transport: an outbound signed HTTP request per await, completed through a signed callback URL. */
  'capstan.awaits.transports.webhook.enabled': { schema: bool, default: false, env: [] },
  /** Where requests are POSTed. Required when the webhook transport is enabled. */
  'capstan.awaits.transports.webhook.url': { schema: httpUrl.optional(), default: undefined, env: [] },
  /** The key signing callback URLs and request bodies. Required when the webhook transport is enabled. */
  'capstan.awaits.transports.webhook.secret-ref': {
    schema: secretRef.optional(),
    default: undefined,
    env: [],
  },
  /** The coordinator's URL as the webhook's receiver reaches it; default `http://<host>:<port>`. */
  'capstan.awaits.transports.webhook.callback-base-url': {
    schema: httpUrl.optional(),
    default: undefined,
    env: [],
  },
  /** How long the webhook receiver may take to accept a request; a timeout is a failed publication, tried again by the outbox. */
  'capstan.awaits.transports.webhook.timeout': { schema: duration, default: 'PT10S', env: [] },
  /**
   * Await admission budgets by step, `<pipeline>/<step>=<n>` comma-separated: they win over
   * the steps' own `admission` (docs/await-admission.md).
   */
  'capstan.awaits.admission': { schema: admissionBudgetList, default: '', env: [] },
  /** TPF's switch of the durable await admission budget: every await step gets `pipeline.max-concurrency`. */
  'pipeline.await-admission.enabled': { schema: bool, default: false, env: [] },
  /** The budget of every await step without one of its own, while `pipeline.await-admission.enabled`. */
  'pipeline.max-concurrency': { schema: int(1, 1_000_000), default: 128, env: [] },
  /** Serves the control plane (`/tpf/control-plane/…`, submit, status, awaits); `false` answers its routes 404. */
  'pipeline.orchestrator.control-plane.enabled': { schema: bool, default: true, env: [] },
  /** Refuses to start without a remote worker protocol, and never runs segments in-process. */
  'pipeline.orchestrator.control-plane.require-remote-worker': { schema: bool, default: false, env: [] },
  /** The operator token (control plane), as a ref; unset: generated once into `<data-dir>/tokens.json`. */
  'pipeline.orchestrator.control-plane.admin-token-ref': {
    schema: secretRef.optional(),
    default: undefined,
    env: [],
  },
  /** Serves the admin API (`/tpf/admin/…`: releases, workers, backups); `false` answers its routes 404. */
  'pipeline.orchestrator.admin.enabled': { schema: bool, default: true, env: [] },
  /** The admin token, as a ref; unset: generated once into `<data-dir>/tokens.json`. */
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

/**
 * TPF's spellings of keys Capstan names more briefly: in a config file they set
 * the Capstan key, so a TPF file keeps working verbatim. (Their environment names are in `env`.)
 */
export const settingAliases: Readonly<Record<string, SettingKey>> = {
  'pipeline.orchestrator.releases.storage.s3.endpoint-override':
    'pipeline.orchestrator.releases.storage.s3.endpoint',
  'pipeline.orchestrator.releases.storage.s3.path-style-access':
    'pipeline.orchestrator.releases.storage.s3.path-style',
};
