-- The calls table summed over the hours of each day: a report over weeks or months (the
-- overview's totals, versions and daily series) reads a twenty-fourth of the rows. Written by
-- the roll-up beside analytics_calls; filled here from it for what was counted before. Kept
-- column-for-column equal to ../postgres/0009_*.sql.
CREATE TABLE analytics_calls_daily (
    tenant_id       TEXT    NOT NULL,
    flow_id         TEXT    NOT NULL,
    version         INTEGER  NOT NULL,
    day             TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    direction       TEXT    NOT NULL,
    outcome         TEXT    NOT NULL,
    handoff_reason  TEXT    NOT NULL,
    calls           INTEGER  NOT NULL,
    contained       INTEGER  NOT NULL,
    handle_ms       INTEGER  NOT NULL,
    turns           INTEGER  NOT NULL,
    no_match        INTEGER  NOT NULL,
    no_input        INTEGER  NOT NULL,
    kb_answered     INTEGER  NOT NULL,
    kb_missed       INTEGER  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version, day, channel, direction, outcome, handoff_reason)
);
CREATE INDEX analytics_calls_daily_tenant_day_idx ON analytics_calls_daily (tenant_id, day);

INSERT INTO analytics_calls_daily (tenant_id, flow_id, version, day, channel, direction, outcome,
                                   handoff_reason, calls, contained, handle_ms, turns, no_match,
                                   no_input, kb_answered, kb_missed)
SELECT tenant_id, flow_id, version, day, channel, direction, outcome, handoff_reason,
       SUM(calls), SUM(contained), SUM(handle_ms), SUM(turns), SUM(no_match), SUM(no_input),
       SUM(kb_answered), SUM(kb_missed)
FROM analytics_calls
GROUP BY tenant_id, flow_id, version, day, channel, direction, outcome, handoff_reason;
