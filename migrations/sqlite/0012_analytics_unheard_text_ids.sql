-- Each unheard text is kept once, in a dictionary, and the daily rows name it by number. A
-- busy quarter has a row for almost every unheard sentence (420,000 for 500,000 said): the
-- report sums them by text and keeps the most said. Narrow rows summed by a number are read
-- faster than 0011's, which repeated the node, kind and sentence in each. Kept equal to
-- ../postgres/0012_*.sql but for the key's order: SQLite, which has no hash aggregate, reads
-- the rows in text order (no sort; a quarter in 175 ms where keyed by day first it sorted
-- them in 300), so each report reads the tenant's every day; PostgreSQL keys by day first and
-- reads only the days asked for.
CREATE TABLE analytics_unheard_texts (
    id         INTEGER PRIMARY KEY,
    tenant_id  TEXT    NOT NULL,
    flow_id    TEXT    NOT NULL,
    node       TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    UNIQUE (tenant_id, flow_id, node, kind, text)
);

INSERT INTO analytics_unheard_texts (tenant_id, flow_id, node, kind, text)
SELECT DISTINCT tenant_id, flow_id, node, kind, text FROM analytics_unheard
ORDER BY tenant_id, flow_id, node, kind, text;

CREATE TABLE analytics_unheard_by_number (
    tenant_id  TEXT    NOT NULL,
    flow_id    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    day        TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    direction  TEXT    NOT NULL,
    text_id    INTEGER NOT NULL,
    said       INTEGER NOT NULL,
    last_call  TEXT    NOT NULL,
    last_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, text_id, day, flow_id, version, channel, direction)
) WITHOUT ROWID;

INSERT INTO analytics_unheard_by_number (tenant_id, flow_id, version, day, channel, direction,
                                         text_id, said, last_call, last_at)
SELECT u.tenant_id, u.flow_id, u.version, u.day, u.channel, u.direction, t.id, u.said,
       u.last_call, u.last_at
FROM analytics_unheard u
JOIN analytics_unheard_texts t
  ON t.tenant_id = u.tenant_id AND t.flow_id = u.flow_id AND t.node = u.node
 AND t.kind = u.kind AND t.text = u.text
ORDER BY u.tenant_id, t.id, u.day;

DROP TABLE analytics_unheard;
ALTER TABLE analytics_unheard_by_number RENAME TO analytics_unheard;
