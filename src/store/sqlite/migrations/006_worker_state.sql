-- compatibility: breaking
-- One current-state row per worker, written by each lifecycle event (a heartbeat updates it in
-- place), so a heartbeat or a routing pass reads one row per worker instead of folding the whole
-- event history. worker_events keeps the transitions only (register, drain, undrain,
-- unavailable, a heartbeat that ends an unavailable spell) and is pruned by retention.
CREATE TABLE workers (
  tenant_id         TEXT NOT NULL,
  pipeline_id       TEXT NOT NULL,
  worker_id         TEXT NOT NULL,
  contract_version  TEXT NOT NULL,
  release_version   TEXT NOT NULL,
  protocol          TEXT NOT NULL,
  endpoint          TEXT NOT NULL,
  artifact_id       TEXT,
  artifact_digest   TEXT,
  registered_at     INTEGER NOT NULL,
  last_heartbeat_at INTEGER NOT NULL,
  draining_since    INTEGER,
  unavailable_since INTEGER,
  PRIMARY KEY (tenant_id, pipeline_id, worker_id)
);
CREATE INDEX worker_events_by_time ON worker_events (at, seq);
CREATE INDEX worker_events_by_worker ON worker_events (tenant_id, pipeline_id, worker_id, seq);

-- The current state of each worker, folded from its events as the coordinator did at read time:
-- the last REGISTER sets the registration; later heartbeats move the last heartbeat; a DRAIN
-- after the last UNDRAIN drains (since the first such DRAIN); an UNAVAILABLE after the last
-- heartbeat makes it unavailable (since the last such UNAVAILABLE).
INSERT INTO workers (tenant_id, pipeline_id, worker_id, contract_version, release_version, protocol, endpoint,
  artifact_id, artifact_digest, registered_at, last_heartbeat_at, draining_since, unavailable_since)
SELECT r.tenant_id, r.pipeline_id, r.worker_id,
  COALESCE(json_extract(r.data_json, '$.contractVersion'), ''),
  COALESCE(json_extract(r.data_json, '$.releaseVersion'), ''),
  lower(COALESCE(json_extract(r.data_json, '$.protocol'), '')),
  COALESCE(json_extract(r.data_json, '$.endpoint'), ''),
  json_extract(r.data_json, '$.artifactId'),
  json_extract(r.data_json, '$.artifactDigest'),
  r.at,
  COALESCE((SELECT MAX(h.at) FROM worker_events h
    WHERE h.tenant_id = r.tenant_id AND h.pipeline_id = r.pipeline_id AND h.worker_id = r.worker_id
      AND h.seq > r.seq AND h.type = 'HEARTBEAT'), r.at),
  (SELECT MIN(d.at) FROM worker_events d
    WHERE d.tenant_id = r.tenant_id AND d.pipeline_id = r.pipeline_id AND d.worker_id = r.worker_id
      AND d.type = 'DRAIN' AND d.seq > COALESCE((SELECT MAX(u.seq) FROM worker_events u
        WHERE u.tenant_id = r.tenant_id AND u.pipeline_id = r.pipeline_id AND u.worker_id = r.worker_id
          AND u.seq > r.seq AND u.type = 'UNDRAIN'), r.seq)),
  (SELECT x.at FROM worker_events x
    WHERE x.tenant_id = r.tenant_id AND x.pipeline_id = r.pipeline_id AND x.worker_id = r.worker_id
      AND x.type = 'UNAVAILABLE' AND x.seq > COALESCE((SELECT MAX(h.seq) FROM worker_events h
        WHERE h.tenant_id = r.tenant_id AND h.pipeline_id = r.pipeline_id AND h.worker_id = r.worker_id
          AND h.seq > r.seq AND h.type = 'HEARTBEAT'), r.seq)
    ORDER BY x.seq DESC LIMIT 1)
FROM worker_events r
WHERE r.type = 'REGISTER' AND r.seq = (SELECT MAX(l.seq) FROM worker_events l
  WHERE l.tenant_id = r.tenant_id AND l.pipeline_id = r.pipeline_id AND l.worker_id = r.worker_id
    AND l.type = 'REGISTER');
