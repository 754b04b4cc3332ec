-- A number is bound per tenant: a tenant binding a number another has gets the answer any
-- unbound number gets, so the API tells nobody which numbers other shops use. An incoming call
-- is the tenant's whose carrier account signed it (Twilio signs with the account's token).
-- SQLite cannot change a primary key: the table is made again.
CREATE TABLE phone_numbers_per_tenant (
    number        TEXT    NOT NULL,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    flow_id       TEXT    NOT NULL,
    -- NULL: the flow's published version at the time of each call.
    flow_version  INTEGER,
    mode          TEXT    NOT NULL CHECK (mode IN ('webhook', 'stream')),
    settings      TEXT    NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, number),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id)
);
INSERT INTO phone_numbers_per_tenant
    (number, tenant_id, flow_id, flow_version, mode, settings, created_at, updated_at)
    SELECT number, tenant_id, flow_id, flow_version, mode, settings, created_at, updated_at
    FROM phone_numbers;
DROP TABLE phone_numbers;
ALTER TABLE phone_numbers_per_tenant RENAME TO phone_numbers;
CREATE INDEX phone_numbers_number_idx ON phone_numbers (number, created_at);
