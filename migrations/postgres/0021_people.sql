-- One-time links an owner hands to a person: an invite to join the tenant (`invite`), or a new
-- password for a user who has forgotten theirs (`password_reset`). Only the SHA-256 of the
-- token is kept; a link is used once (`used_at`) and runs out at `expires_at`.
CREATE TABLE invites (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    id            TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('invite', 'password_reset')),
    token_hash    TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'viewer', 'agent')),
    -- The user whose password a reset link sets; none for an invite.
    user_id       TEXT,
    created_by    TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    used_at       BIGINT,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT invites_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX invites_tenant_created_idx ON invites (tenant_id, created_at);

-- When each user last signed in, for the people page.
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;

-- The user who made a key through the API: a key stops working while its maker is disabled.
-- Keys made by `callflow admin` have none.
ALTER TABLE api_keys ADD COLUMN created_by TEXT;

CREATE INDEX audit_log_tenant_actor_idx ON audit_log (tenant_id, actor, at);
