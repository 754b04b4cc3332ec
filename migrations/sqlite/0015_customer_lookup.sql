-- A tenant's customer lookup: at the start of every conversation the server asks the shop's own
-- API who is calling (by the caller's number or the chat visitor), through the same guarded
-- client as flows' http nodes, and the flow sees the answer as `customer`. One per tenant.
CREATE TABLE customer_lookups (
    tenant_id      TEXT    NOT NULL PRIMARY KEY REFERENCES tenants (id),
    enabled        INTEGER NOT NULL,
    -- The request's URL with {{phone}} and {{visitor}} placeholders.
    url            TEXT    NOT NULL,
    -- A JSON object of request headers that are no secret (Accept, X-Shop-Id…).
    headers        TEXT    NOT NULL,
    -- The header that carries the secret, and the secret sealed by the server's key (NULL: none).
    secret_header  TEXT    NOT NULL,
    secret         TEXT,
    timeout_ms     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
