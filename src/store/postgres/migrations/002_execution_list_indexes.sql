-- compatibility: additive
-- Listing a tenant's executions by status, newest first (GET …/executions?status=): one ordered
-- range per status, so a rare status (DLQ) is found without reading past the others.
CREATE INDEX executions_by_tenant_status ON executions (tenant_id, status, created_at, execution_id);
