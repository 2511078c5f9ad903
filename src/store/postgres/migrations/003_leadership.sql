-- compatibility: breaking
-- Named leases among coordinator nodes sharing a store (the maintenance leader). A new holder
-- takes the next epoch; commands the leader alone may run lock the row FOR SHARE and check
-- holder and epoch in their own transaction, so a deposed leader cannot act on a stale epoch.
CREATE TABLE leadership (
  role TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  acquired_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
