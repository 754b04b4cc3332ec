-- People who take conversations from the bot. Kept equal to ../sqlite/0013_*.sql.
--
-- A queue is where a `handoff` node sends a conversation; flows name it by `key`. Its hours
-- and languages are JSON ({"days": [1,2,3,4,5], "open": "09:00", "close": "21:00"}, in the
-- tenant's time zone; ["zh-CN", "en"]); `overflow` names the queue that takes its
-- conversations while it is closed or nobody is available.
CREATE TABLE queues (
    tenant_id   TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    name_en     TEXT    NOT NULL DEFAULT '',
    languages   TEXT    NOT NULL DEFAULT '[]',
    hours       TEXT,
    overflow    TEXT,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, key),
    FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);

-- A user who answers conversations: the queues they serve and whether they can take one now
-- (available, busy, away).
CREATE TABLE agents (
    tenant_id   TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    queues      TEXT    NOT NULL DEFAULT '[]',
    presence    TEXT    NOT NULL DEFAULT 'away',
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

-- Each time a conversation is handed to a queue. `state` is who owns it: waiting (in the
-- queue), agent (taken by `agent_id`) or done (the agent ended it or gave it back to the
-- bot). At most one handoff of a conversation is not done.
CREATE TABLE handoffs (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    call_id       TEXT    NOT NULL,
    session_id    TEXT,
    channel       TEXT    NOT NULL,
    queue         TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    agent_id      TEXT,
    summary       TEXT    NOT NULL DEFAULT '',
    waiting_since BIGINT  NOT NULL,
    accepted_at   BIGINT ,
    ended_at      BIGINT ,
    disposition   TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, call_id) REFERENCES conversations (tenant_id, id)
);
CREATE UNIQUE INDEX handoffs_tenant_id_call_id_key ON handoffs (tenant_id, call_id) WHERE state <> 'done';
CREATE INDEX handoffs_state_idx ON handoffs (tenant_id, state, queue, waiting_since);

-- The agent's context card lists the caller's previous conversations.
CREATE INDEX conversations_caller_idx ON conversations (tenant_id, from_number, started_at);
