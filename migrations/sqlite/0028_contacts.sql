-- Contact lists a shop calls from: its members, with the custom fields flows read as variables
-- (birthday, last order…) and the evidence of each person's consent to be called. Phone numbers
-- are E.164 only, one contact per number and list.
CREATE TABLE contact_lists (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    id          TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX contact_lists_tenant_idx ON contact_lists (tenant_id, created_at);

CREATE TABLE contacts (
    tenant_id       TEXT    NOT NULL REFERENCES tenants (id),
    id              TEXT    NOT NULL,
    list_id         TEXT    NOT NULL,
    phone           TEXT    NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    -- A JSON object of strings and numbers, by field name (an identifier flows can read).
    fields          TEXT    NOT NULL DEFAULT '{}',
    consent_source  TEXT    NOT NULL DEFAULT '',
    consent_at      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT contacts_list_id_phone_key UNIQUE (list_id, phone)
);
CREATE INDEX contacts_tenant_phone_idx ON contacts (tenant_id, phone);
