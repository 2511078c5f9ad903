-- compatibility: breaking
-- The idempotency chain (src/domain/idempotency-chain.ts) on the execution row, written by each
-- guarded retry, so a dispatch need not read the journal back to find its idempotency key.
-- Rows from before it have no known chain (-1): their dispatches read the journal, as before,
-- until a retry that ends any chain starts a known one.
ALTER TABLE executions ADD COLUMN chain_key_attempt INTEGER;
ALTER TABLE executions ADD COLUMN chain_seq INTEGER;
UPDATE executions SET chain_seq = -1;
