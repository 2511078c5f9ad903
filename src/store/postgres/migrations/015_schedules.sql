-- compatibility: additive
-- Schedules (docs/schedules.md): a pipeline run on a cron expression (in a time zone) or every
-- fixed interval (slots at created_at + k × interval_ms, k ≥ 1). `next_fire_at` is the next slot
-- not yet fired or skipped: the maintenance leader fires it and moves it on in one transaction,
-- under its fence, so each slot is taken once whoever leads. The missed-fire policy says what
-- becomes of slots that passed unfired (the leader down, the schedule paused).
CREATE TABLE schedules (
  schedule_id            TEXT COLLATE "C" PRIMARY KEY,
  tenant_id              TEXT NOT NULL,
  pipeline_id            TEXT NOT NULL,
  cron                   TEXT,
  timezone               TEXT,
  interval_ms            BIGINT,
  input_json             TEXT NOT NULL,
  missed_fire_policy     TEXT NOT NULL,
  catch_up_limit         INTEGER,
  idempotency_key_prefix TEXT,
  paused                 BOOLEAN NOT NULL,
  next_fire_at           BIGINT NOT NULL,
  fired_count            BIGINT NOT NULL,
  last_slot_at           BIGINT,
  last_execution_id      TEXT COLLATE "C",
  last_fired_at          BIGINT,
  last_error_code        TEXT,
  last_error_message     TEXT,
  last_error_at          BIGINT,
  version                INTEGER NOT NULL,
  created_at             BIGINT NOT NULL,
  updated_at             BIGINT NOT NULL
);
-- The leader's pass reads the active schedules due, earliest first.
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE NOT paused;
CREATE INDEX schedules_by_pipeline ON schedules (tenant_id, pipeline_id, created_at);
-- An execution a schedule started names it (null on every other), so a schedule's runs list.
ALTER TABLE executions ADD COLUMN schedule_id TEXT COLLATE "C";
CREATE INDEX executions_by_schedule ON executions (tenant_id, schedule_id, created_at, execution_id) WHERE schedule_id IS NOT NULL;
