-- The tenant's do-not-call list: numbers (E.164) that no campaign may dial. `source` is how a
-- number got there: manual, import, api, or flow (the other party said 不要再打了 during a call,
-- whose id is `call_id`).
CREATE TABLE do_not_call (
    tenant_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    source TEXT NOT NULL,
    call_id TEXT,
    note TEXT NOT NULL DEFAULT '',
    added_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, phone)
);
