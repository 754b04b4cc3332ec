-- A claim takes the due jobs in (due_at, id) order. Contacts queued together share their
-- `due_at`, so with the index ending at `due_at` a claim of 200 read and sorted every job due at
-- that instant (all of a 100,000-contact list) before taking the first 200; ending at `id` too,
-- it reads 200 rows.
DROP INDEX campaign_jobs_due_idx;
CREATE INDEX campaign_jobs_due_idx ON campaign_jobs (campaign_id, state, due_at, id);
