-- The operator of the service: keys that are no tenant's principal, what the operator did to
-- tenants, and whether a tenant is suspended.

-- When the operator suspended the tenant; none while it works. A suspended tenant keeps its
-- data, and its people, keys, widget and phone numbers are refused until it is resumed.
ALTER TABLE tenants ADD COLUMN suspended_at BIGINT;

-- Operator keys (`cfo_<prefix>_<secret>`): only the SHA-256 of the secret is kept, so that every
-- server sharing the database knows a key and a stolen copy holds none.
CREATE TABLE operator_keys (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    hash          TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT,
    CONSTRAINT operator_keys_prefix_key UNIQUE (prefix)
);

-- What operators did to tenants. Tenants are named by slug and name, never by id, and the
-- rows stay when a tenant is deleted: this is where its deletion is recorded.
CREATE TABLE operator_audit_log (
    id           TEXT    NOT NULL PRIMARY KEY,
    at           BIGINT  NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    tenant_slug  TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX operator_audit_log_at_idx ON operator_audit_log (at, id);
