-- compatibility: breaking
-- The await admission budget (docs/await-admission.md): at most `admission_limit` interactions
-- of one await step are outstanding at the provider per tenant and pipeline. `outstanding` is
-- the counter every admission and release changes (SQLite has one writer).
CREATE TABLE await_admission (
  tenant_id TEXT NOT NULL,
  pipeline_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  outstanding INTEGER NOT NULL,
  admission_limit INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, pipeline_id, step_id)
) WITHOUT ROWID;
-- One row per interaction under a budget while it is open: admitted (counted in `outstanding`)
-- or waiting in `seq` order, with the request to publish and the deadline to start when it is
-- admitted. Deleted in the transaction that ends the interaction.
CREATE TABLE await_admission_entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  interaction_id TEXT NOT NULL UNIQUE,
  execution_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  pipeline_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  admitted INTEGER NOT NULL,
  topic TEXT,
  payload_json TEXT,
  deadline_ms INTEGER NOT NULL
);
CREATE INDEX await_admission_queue ON await_admission_entries (tenant_id, pipeline_id, step_id, seq)
  WHERE admitted = 0;
-- A cancel locks (PostgreSQL) or finds its execution's entry by it.
CREATE INDEX await_admission_by_execution ON await_admission_entries (execution_id);
