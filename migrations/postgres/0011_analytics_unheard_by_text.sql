-- The "not understood" report sums each phrasing over the days asked for and keeps the most
-- said: GROUP BY flow_id, node, kind, text. Callers rarely say a thing the same way twice, so a
-- busy shop has a row for almost every unheard sentence. The key now starts with what the
-- report groups by, the day after it, so that the rows can be read in group order. Kept equal
-- to ../sqlite/0011_*.sql (where the table is rebuilt WITHOUT ROWID, the key being the table).
ALTER TABLE analytics_unheard DROP CONSTRAINT analytics_unheard_pkey;
ALTER TABLE analytics_unheard
    ADD PRIMARY KEY (tenant_id, flow_id, node, kind, text, day, version, channel, direction);
DROP INDEX analytics_unheard_tenant_day_idx;
