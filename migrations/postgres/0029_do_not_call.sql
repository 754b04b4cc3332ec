-- The numbers a tenant must never dial: added by hand, from a file, through the API, or by a
-- flow when the callee asks not to be called again (then with the call's id). Kept through a
-- caller's erasure: the refusal must outlive the data it refuses.
CREATE TABLE do_not_call (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    phone       TEXT    NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('manual', 'import', 'api', 'flow')),
    call_id     TEXT,
    note        TEXT    NOT NULL DEFAULT '',
    added_by    TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, phone)
);
