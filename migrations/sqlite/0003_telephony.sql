-- Phone calls: a tenant's carrier and speech settings (secrets sealed by the server's key),
-- the phone numbers that answer with a flow, and what the carrier says about each call.

CREATE TABLE telephony_settings (
    tenant_id   TEXT    NOT NULL PRIMARY KEY REFERENCES tenants (id),
    settings    TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A carrier number belongs to one tenant, so it is unique across tenants: an incoming call is
-- routed by the number it was made to.
CREATE TABLE phone_numbers (
    number        TEXT    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    flow_id       TEXT    NOT NULL,
    -- NULL: the flow's published version at the time of each call.
    flow_version  INTEGER,
    mode          TEXT    NOT NULL CHECK (mode IN ('webhook', 'stream')),
    settings      TEXT    NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id)
);
CREATE INDEX phone_numbers_tenant_idx ON phone_numbers (tenant_id, number);

-- The carrier's final status (completed, busy, no-answer, failed, canceled), its own count of
-- the call's length, and who answered an outbound call (human, machine_start, ...).
ALTER TABLE calls ADD COLUMN carrier_status TEXT;
ALTER TABLE calls ADD COLUMN carrier_duration_ms INTEGER;
ALTER TABLE calls ADD COLUMN answered_by TEXT;

CREATE INDEX chat_sessions_call_idx ON chat_sessions (tenant_id, call_id);
