-- compatibility: breaking
-- Delivery state per outbox message, so one message a sink keeps refusing holds up no other:
-- each is marked delivered on its own; a failure counts an attempt and sets the next one
-- (backoff); past the bound the message is parked (parked_at, last_error) for an operator.
-- claimed_until: a relay claims rows (FOR UPDATE SKIP LOCKED) for a while, so two relays
-- racing deliver each message once.
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN parked_at BIGINT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
DROP INDEX outbox_undelivered;
CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL AND parked_at IS NULL;
