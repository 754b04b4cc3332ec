-- Ended chats' counts, written in the transaction of the turn that ends them and claims them
-- (`conversations.rolled_up_events`), for the roll-up job to add to the analytics tables. On
-- PostgreSQL several writers commit at once and every chat of a flow adds to the same few
-- analytics rows: adding there in the turn would queue the turns' commits on those row locks,
-- and claiming the chat later in the job would update each ended conversation twice. Each row
-- is one batch of turns' counts, summed: [[table, [key parts], [sums], latest_at, latest_call]].
-- Kept column-for-column equal to ../sqlite/0010_*.sql.
CREATE TABLE analytics_pending (
    id    BIGSERIAL PRIMARY KEY,
    rows  TEXT NOT NULL
);
