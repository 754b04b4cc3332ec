-- Call events lose their foreign key to calls, as in ../postgres/0002_*.sql (where the reason
-- is). SQLite cannot drop a constraint, so the table is rebuilt; nothing references it.
CREATE TABLE call_events_rebuilt (
    tenant_id  TEXT    NOT NULL,
    call_id    TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    node       TEXT,
    data       TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, call_id, seq)
);
INSERT INTO call_events_rebuilt (tenant_id, call_id, seq, at, kind, node, data)
    SELECT tenant_id, call_id, seq, at, kind, node, data FROM call_events;
DROP TABLE call_events;
ALTER TABLE call_events_rebuilt RENAME TO call_events;
