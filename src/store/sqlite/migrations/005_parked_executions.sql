-- compatibility: additive
-- Parked executions (due, but no worker can take them; see src/domain/parking.ts) sit past
-- 4e15 in `next_due_at`, out of the due index's head. This index finds those of one
-- (tenant, pipeline, release) when a worker for it appears.
CREATE INDEX executions_parked ON executions (tenant_id, pipeline_id, release_version, next_due_at)
  WHERE status IN ('QUEUED', 'WAIT_RETRY') AND next_due_at >= 4000000000000000;
