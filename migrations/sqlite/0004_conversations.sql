-- One table for every conversation, whatever carries it. Until now a conversation was a row of
-- `calls` (its record: parties, start, end, outcome) and, for web chats and phone calls alike, a
-- row of `chat_sessions` (the engine's snapshot between turns and the turn counter). Every turn
-- wrote both; now it writes one row. Kept column-for-column equal to ../postgres/0004_*.sql.
--
-- The conversation's id is its old call id, so `call_events` (no foreign key since 0002) and
-- every `/api/calls/{id}` keep pointing at it. `session_id` is the old chat session's id, by
-- which `/api/sessions/{id}` and the carrier's webhook URLs of calls in progress find it; NULL
-- for a conversation that never had one (a call ended before its session started).
-- `snapshot` is NULL on those too. A call had at most one session: the server created one only
-- with its call, or once right after placing an outbound call.
CREATE TABLE conversations (
    tenant_id            TEXT    NOT NULL,
    id                   TEXT    NOT NULL,
    flow_id              TEXT    NOT NULL,
    flow_version         INTEGER,
    channel              TEXT    NOT NULL,
    direction            TEXT    NOT NULL,
    from_number          TEXT,
    to_number            TEXT,
    started_at           INTEGER NOT NULL,
    ended_at             INTEGER,
    outcome              TEXT,
    summary              TEXT,
    call_sid             TEXT,
    duration_ms          INTEGER,
    event_count          INTEGER NOT NULL DEFAULT 0,
    carrier_status       TEXT,
    carrier_duration_ms  INTEGER,
    answered_by          TEXT,
    session_id           TEXT,
    snapshot             TEXT,
    turn                 INTEGER NOT NULL DEFAULT 0,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id),
    FOREIGN KEY (tenant_id, flow_id, flow_version) REFERENCES flow_versions (tenant_id, flow_id, version)
);

-- A session ended in the same statement as its call, so the call's end is the conversation's;
-- COALESCE only guards against a row written otherwise.
INSERT INTO conversations (tenant_id, id, flow_id, flow_version, channel, direction,
                           from_number, to_number, started_at, ended_at, outcome, summary,
                           call_sid, duration_ms, event_count, carrier_status,
                           carrier_duration_ms, answered_by, session_id, snapshot, turn,
                           updated_at)
    SELECT c.tenant_id, c.id, c.flow_id, c.flow_version, c.channel, c.direction,
           c.from_number, c.to_number, c.started_at, COALESCE(c.ended_at, s.ended_at),
           c.outcome, c.summary, c.call_sid, c.duration_ms, c.event_count, c.carrier_status,
           c.carrier_duration_ms, c.answered_by, s.id, s.snapshot, COALESCE(s.turn, 0),
           COALESCE(s.updated_at, c.ended_at, c.started_at)
    FROM calls c
    LEFT JOIN chat_sessions s ON s.tenant_id = c.tenant_id AND s.call_id = c.id;

DROP TABLE chat_sessions;
DROP TABLE calls;

CREATE INDEX conversations_tenant_started_idx ON conversations (tenant_id, started_at, id);
CREATE INDEX conversations_tenant_flow_started_idx
    ON conversations (tenant_id, flow_id, started_at, id);
CREATE UNIQUE INDEX conversations_tenant_id_call_sid_key
    ON conversations (tenant_id, call_sid) WHERE call_sid IS NOT NULL;
-- Not partial (NULLs are distinct anyway), so that PostgreSQL uses it for the group commit's
-- join on session_id as readily as for a lookup.
CREATE UNIQUE INDEX conversations_tenant_id_session_id_key
    ON conversations (tenant_id, session_id);
