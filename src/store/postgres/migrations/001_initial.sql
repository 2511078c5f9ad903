-- compatibility: breaking
-- The PostgreSQL twin of sqlite/migrations/001_initial.sql: the same tables, columns and partial
-- indexes. Epoch milliseconds are BIGINT; JSON is stored as TEXT so every payload round-trips
-- byte for byte (JSONB would reorder keys). Identifiers that are ordered or paged on are
-- COLLATE "C", the byte order SQLite uses, so both dialects list in the same order.

-- Executions: the projection of each execution's journal. Every state change is a guarded
-- UPDATE of this row (expected status, fencing epoch) plus one journal row, in one transaction.
CREATE TABLE executions (
  execution_id      TEXT COLLATE "C" PRIMARY KEY,
  tenant_id         TEXT NOT NULL,
  pipeline_id       TEXT NOT NULL,
  contract_version  TEXT NOT NULL,
  release_version   TEXT NOT NULL,
  execution_key     TEXT NOT NULL,
  input_fingerprint TEXT NOT NULL,
  input_json        TEXT NOT NULL,
  status            TEXT NOT NULL,
  version           INTEGER NOT NULL,
  step_index        INTEGER NOT NULL,
  attempt           INTEGER NOT NULL,
  lease_epoch       INTEGER NOT NULL,
  lease_owner       TEXT,
  lease_expires_at  BIGINT,
  next_due_at       BIGINT,
  await_unit_id     TEXT,
  result_json       TEXT,
  error_code        TEXT,
  error_message     TEXT,
  dlq_reason        TEXT,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  expires_at        BIGINT
);
-- Idempotency: a key is scoped to tenant + pipeline and lives as long as its execution.
CREATE UNIQUE INDEX executions_by_key ON executions (tenant_id, pipeline_id, execution_key);
CREATE INDEX executions_due ON executions (next_due_at) WHERE status IN ('QUEUED', 'WAIT_RETRY');
CREATE INDEX executions_leased ON executions (lease_expires_at) WHERE status = 'RUNNING';
CREATE INDEX executions_by_tenant ON executions (tenant_id, created_at, execution_id);
CREATE INDEX executions_expiring ON executions (expires_at) WHERE expires_at IS NOT NULL;

-- Per-step checkpoints: a retry or re-drive resumes at the first step without one.
CREATE TABLE step_outputs (
  execution_id TEXT COLLATE "C" NOT NULL,
  step_index   INTEGER NOT NULL,
  output_json  TEXT NOT NULL,
  PRIMARY KEY (execution_id, step_index)
);

-- The append-only journal: seq equals the execution version the event produced.
CREATE TABLE journal (
  execution_id TEXT COLLATE "C" NOT NULL,
  seq          INTEGER NOT NULL,
  type         TEXT NOT NULL,
  at           BIGINT NOT NULL,
  data_json    TEXT NOT NULL,
  PRIMARY KEY (execution_id, seq)
);

CREATE TABLE await_interactions (
  interaction_id       TEXT COLLATE "C" PRIMARY KEY,
  tenant_id            TEXT NOT NULL,
  execution_id         TEXT COLLATE "C" NOT NULL,
  unit_id              TEXT NOT NULL,
  correlation_id       TEXT NOT NULL,
  step_id              TEXT NOT NULL,
  step_index           INTEGER NOT NULL,
  status               TEXT NOT NULL,
  request_json         TEXT NOT NULL,
  response_json        TEXT,
  response_fingerprint TEXT,
  completion_key       TEXT,
  actor                TEXT,
  assignee             TEXT,
  group_name           TEXT,
  transport_type       TEXT NOT NULL,
  deadline_at          BIGINT NOT NULL,
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL
);
CREATE UNIQUE INDEX interactions_by_correlation ON await_interactions (tenant_id, correlation_id);
CREATE INDEX interactions_by_execution ON await_interactions (execution_id);
-- The inbox is read in deadline order; open interactions only, so the index stays small.
CREATE INDEX interactions_pending ON await_interactions (tenant_id, deadline_at, created_at, interaction_id)
  WHERE status = 'WAITING';
CREATE INDEX interactions_pending_by_group ON await_interactions (tenant_id, group_name, deadline_at, created_at)
  WHERE status = 'WAITING';
CREATE INDEX interactions_pending_by_assignee ON await_interactions (tenant_id, assignee, deadline_at, created_at)
  WHERE status = 'WAITING';
CREATE INDEX interactions_pending_by_step ON await_interactions (tenant_id, step_id, deadline_at, created_at)
  WHERE status = 'WAITING';
CREATE INDEX interactions_deadline ON await_interactions (deadline_at) WHERE status = 'WAITING';

-- Publications to the outside world (DLQ sinks...), written in the transaction that caused them.
CREATE TABLE outbox (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic        TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  delivered_at BIGINT
);
CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_at IS NULL;

-- Releases are immutable; activations and worker lifecycle events are append-only.
CREATE TABLE releases (
  tenant_id               TEXT NOT NULL,
  pipeline_id             TEXT NOT NULL,
  release_version         TEXT COLLATE "C" NOT NULL,
  contract_version        TEXT NOT NULL,
  descriptor_json         TEXT NOT NULL,
  contract_json           TEXT NOT NULL,
  primary_artifact_digest TEXT NOT NULL,
  created_at              BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, pipeline_id, release_version)
);

CREATE TABLE release_activations (
  seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id       TEXT NOT NULL,
  pipeline_id     TEXT NOT NULL,
  release_version TEXT NOT NULL,
  activated_at    BIGINT NOT NULL,
  actor           TEXT NOT NULL
);
CREATE INDEX release_activations_latest ON release_activations (tenant_id, pipeline_id, seq);

CREATE TABLE worker_events (
  seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   TEXT NOT NULL,
  pipeline_id TEXT NOT NULL,
  worker_id   TEXT NOT NULL,
  type        TEXT NOT NULL,
  data_json   TEXT NOT NULL,
  at          BIGINT NOT NULL
);
CREATE INDEX worker_events_by_pipeline ON worker_events (tenant_id, pipeline_id, seq);
