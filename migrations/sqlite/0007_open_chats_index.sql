-- Web chats still open, by tenant and last activity: the job that ends idle chats looks for
-- them every minute, and without this index it would read every conversation ever recorded.
-- Partial, so it holds only the few open chats; its WHERE is written the same way in the job's
-- queries. Kept equal to ../postgres/0007_*.sql.
CREATE INDEX conversations_open_chats_idx ON conversations (tenant_id, updated_at)
    WHERE channel = 'chat' AND ended_at IS NULL;
