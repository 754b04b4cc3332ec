-- Survey scores and other results of calls: the variables a flow marks as results
-- (settings.results), counted by the roll-up from each call's `result` events like the other
-- sum tables of 0006. Kept column-for-column equal to ../postgres/0008_*.sql.
--
-- `value` is the number for score and number results (as text: 9, 7.5) and the answer for
-- choice results; text results are only counted, with `value` ''. A variable's values beyond
-- the roll-up's limit of distinct values are counted under '' too, so that free answers cannot
-- make the table grow without bound.
CREATE TABLE analytics_results (
    tenant_id  TEXT    NOT NULL,
    flow_id    TEXT    NOT NULL,
    version    INTEGER  NOT NULL,
    day        TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    direction  TEXT    NOT NULL,
    var        TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    calls      INTEGER  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version, day, channel, direction, var, kind, value)
);
CREATE INDEX analytics_results_tenant_day_idx ON analytics_results (tenant_id, day);
CREATE INDEX analytics_results_values_idx ON analytics_results (tenant_id, flow_id, var, value);
