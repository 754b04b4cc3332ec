-- Failed sign-ins and unknown API keys, one row per failure, by bucket: `account:<hash of the
-- email>`, `client:<address>` (passwords) or `key-client:<address>` (API keys). In the database
-- so that every server sharing it refuses the same guesser; rows older than the counting window
-- are purged.
CREATE TABLE credential_failures (
    bucket  TEXT    NOT NULL,
    at_ms   BIGINT NOT NULL
);
CREATE INDEX credential_failures_bucket_idx ON credential_failures (bucket, at_ms);
CREATE INDEX credential_failures_at_idx ON credential_failures (at_ms);
