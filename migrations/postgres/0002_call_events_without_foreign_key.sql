-- Call events are the hottest rows: a conversation writes several every turn. Their foreign key
-- to calls made PostgreSQL run a lookup of the call (with a row lock) for every event inserted,
-- a quarter of its work per turn under load (scripts/loadtest). The server only ever inserts
-- events in the transaction that inserts or updates their call, under the call's row lock, so
-- the key checked nothing that could fail. Kept equal to ../sqlite/0002_*.sql.
ALTER TABLE call_events DROP CONSTRAINT call_events_tenant_id_call_id_fkey;
