-- Phone calls in progress, by tenant and start: a new call is let in only while the tenant's
-- open calls are under its quota (server/src/quotas), a count made for every new call. Partial,
-- so it holds only the calls in progress; its WHERE is written the same way in the query.
-- Open chats are counted from conversations_open_chats_idx (0007). Kept equal to
-- ../sqlite/0023_*.sql.
CREATE INDEX conversations_open_calls_idx ON conversations (tenant_id, started_at)
    WHERE channel = 'phone' AND ended_at IS NULL;
