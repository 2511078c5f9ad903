-- compatibility: breaking
-- The await admission budget (docs/await-admission.md): at most `admission_limit` interactions
-- of one await step are outstanding at the provider per tenant and pipeline. `outstanding` is
-- the counter every admission and release changes under this row's lock, so concurrent nodes
-- never exceed the limit.
CREATE TABLE await_admission (
  tenant_id       TEXT NOT NULL,
  pipeline_id     TEXT NOT NULL,
  step_id         TEXT NOT NULL,
  outstanding     INTEGER NOT NULL,
  admission_limit INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, pipeline_id, step_id)
);
-- One row per interaction under a budget while it is open: admitted (counted in `outstanding`)
-- or waiting in `seq` order, with the request to publish and the deadline to start when it is
-- admitted. Deleted in the transaction that ends the interaction.
CREATE TABLE await_admission_entries (
  seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  interaction_id TEXT COLLATE "C" NOT NULL UNIQUE,
  execution_id   TEXT COLLATE "C" NOT NULL,
  tenant_id      TEXT NOT NULL,
  pipeline_id    TEXT NOT NULL,
  step_id        TEXT NOT NULL,
  admitted       BOOLEAN NOT NULL,
  topic          TEXT,
  payload_json   TEXT,
  deadline_ms    BIGINT NOT NULL
);
CREATE INDEX await_admission_queue ON await_admission_entries (tenant_id, pipeline_id, step_id, seq)
  WHERE NOT admitted;
-- A cancel locks (PostgreSQL) or finds its execution's entry by it.
CREATE INDEX await_admission_by_execution ON await_admission_entries (execution_id);
