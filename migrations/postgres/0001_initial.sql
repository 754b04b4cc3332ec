-- Callflow schema, PostgreSQL flavour. Kept column-for-column equal to ../sqlite/0001_initial.sql:
-- the server runs the same SQL on both. Ids are TEXT, times are epoch milliseconds, JSON is TEXT.
-- Tenant-owned tables have the primary key (tenant_id, id) so that every reference between them
-- is a composite foreign key: a row can never point at another tenant's row.
-- Unique constraints are named <table>_<columns>_key, the names PostgreSQL reports and the names
-- the server derives from SQLite's messages (see server/src/store/error.rs).

CREATE TABLE tenants (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    slug        TEXT    NOT NULL,
    settings    TEXT    NOT NULL DEFAULT '{}',
    created_at  BIGINT  NOT NULL,
    CONSTRAINT tenants_slug_key UNIQUE (slug)
);

CREATE TABLE users (
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id),
    id             TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'viewer', 'agent')),
    created_at     BIGINT  NOT NULL,
    disabled_at    BIGINT,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE api_keys (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    id            TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'viewer', 'agent')),
    prefix        TEXT    NOT NULL,
    hash          TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
);

CREATE TABLE login_sessions (
    id          TEXT    NOT NULL PRIMARY KEY,
    tenant_id   TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    csrf_token  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX login_sessions_user_idx ON login_sessions (tenant_id, user_id);
CREATE INDEX login_sessions_expires_at_idx ON login_sessions (expires_at);

CREATE TABLE flows (
    tenant_id          TEXT    NOT NULL REFERENCES tenants (id),
    id                 TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    draft              TEXT    NOT NULL,
    revision           BIGINT  NOT NULL DEFAULT 1,
    published_version  BIGINT,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    deleted_at         BIGINT,
    PRIMARY KEY (tenant_id, id)
);
-- A deleted flow frees its name.
CREATE UNIQUE INDEX flows_tenant_id_name_key ON flows (tenant_id, name) WHERE deleted_at IS NULL;
CREATE INDEX flows_tenant_updated_idx ON flows (tenant_id, updated_at);

CREATE TABLE flow_versions (
    tenant_id       TEXT    NOT NULL,
    flow_id         TEXT    NOT NULL,
    version         BIGINT  NOT NULL,
    document        TEXT    NOT NULL,
    note            TEXT    NOT NULL DEFAULT '',
    draft_revision  BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL,
    created_by      TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id)
);

CREATE TABLE calls (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    flow_id       TEXT    NOT NULL,
    flow_version  BIGINT,
    channel       TEXT    NOT NULL,
    direction     TEXT    NOT NULL,
    from_number   TEXT,
    to_number     TEXT,
    started_at    BIGINT  NOT NULL,
    ended_at      BIGINT,
    outcome       TEXT,
    summary       TEXT,
    call_sid      TEXT,
    duration_ms   BIGINT,
    event_count   BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id),
    FOREIGN KEY (tenant_id, flow_id, flow_version) REFERENCES flow_versions (tenant_id, flow_id, version)
);
CREATE INDEX calls_tenant_started_idx ON calls (tenant_id, started_at, id);
CREATE INDEX calls_tenant_flow_started_idx ON calls (tenant_id, flow_id, started_at, id);
CREATE UNIQUE INDEX calls_tenant_id_call_sid_key ON calls (tenant_id, call_sid) WHERE call_sid IS NOT NULL;

CREATE TABLE call_events (
    tenant_id  TEXT    NOT NULL,
    call_id    TEXT    NOT NULL,
    seq        BIGINT  NOT NULL,
    at         BIGINT  NOT NULL,
    kind       TEXT    NOT NULL,
    node       TEXT,
    data       TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, call_id, seq),
    FOREIGN KEY (tenant_id, call_id) REFERENCES calls (tenant_id, id)
);

CREATE TABLE chat_sessions (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    flow_id       TEXT    NOT NULL,
    flow_version  BIGINT,
    call_id       TEXT    NOT NULL,
    snapshot      TEXT    NOT NULL,
    turn          BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    ended_at      BIGINT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id),
    FOREIGN KEY (tenant_id, call_id) REFERENCES calls (tenant_id, id)
);
CREATE INDEX chat_sessions_tenant_updated_idx ON chat_sessions (tenant_id, updated_at);

CREATE TABLE audit_log (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    id         TEXT    NOT NULL,
    at         BIGINT  NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    object     TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_tenant_at_idx ON audit_log (tenant_id, at, id);
