-- compatibility: additive
-- The DLQ as a list (docs/dlq.md): a failure's fingerprint and the id of the step that failed,
-- written when an execution enters the DLQ (or FAILED) and cleared by its re-drive. Null on
-- executions that entered it before this migration, or through a node that predates it.
ALTER TABLE executions ADD COLUMN failure_fingerprint TEXT;
ALTER TABLE executions ADD COLUMN failed_step_id TEXT;
-- The listing, newest first: a DLQ row is never updated until its re-drive takes it out, so
-- its updated_at is when it entered the DLQ.
CREATE INDEX executions_dlq ON executions (tenant_id, updated_at, execution_id) WHERE status = 'DLQ';
-- The groups, and the listing filtered by fingerprint.
CREATE INDEX executions_dlq_fingerprint ON executions (tenant_id, failure_fingerprint, updated_at)
  WHERE status = 'DLQ';
