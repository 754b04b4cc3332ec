-- Ended chats' counts waiting for the roll-up job: see ../postgres/0010_*.sql. SQLite's one
-- writer adds them in the turn's own transaction, so this table stays empty there; it exists
-- so that both databases have the same tables.
CREATE TABLE analytics_pending (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    rows  TEXT NOT NULL
);
