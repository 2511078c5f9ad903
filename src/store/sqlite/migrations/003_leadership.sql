-- compatibility: breaking
-- Named leases among coordinator nodes sharing a store (the maintenance leader). A new holder
-- takes the next epoch; commands the leader alone may run check holder and epoch in their
-- own transaction, so a deposed leader cannot act on a stale epoch.
CREATE TABLE leadership (
  role TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
