-- compatibility: additive
-- Retention (docs/retention.md) reads the soonest-expired top-level executions in expiry order
-- (items go with their parent, so they need no place here), and prunes delivered outbox
-- messages in delivery order: both are index range scans that stop at the batch's limit,
-- whatever the tables hold. The old expiry index also held items, which a scan then skipped.
CREATE INDEX executions_expiring_top ON executions (expires_at, execution_id)
  WHERE expires_at IS NOT NULL AND parent_execution_id IS NULL;
DROP INDEX executions_expiring;
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
