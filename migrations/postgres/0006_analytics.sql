-- Call analytics kept as calls end: every table is a sum over ended conversations, by tenant,
-- flow, version (0 for the draft: the editor's Try it), the local day of the call's start in the
-- tenant's time zone, channel and direction, and what the table counts by. The dashboard reads
-- these, never `call_events`. Kept column-for-column equal to ../sqlite/0006_*.sql.
--
-- A conversation is counted by the roll-up task (server/src/analytics/rollup.rs) in the same
-- transaction that sets its `rolled_up_events` to the events it counted: a crash or a second
-- server never counts it twice. Events appended after that (a phone call's last words saved
-- after the carrier's hang-up report) are counted as the difference they make.
ALTER TABLE conversations ADD COLUMN rolled_up_events BIGINT;
CREATE INDEX conversations_rollup_pending_idx ON conversations (ended_at)
    WHERE ended_at IS NOT NULL AND (rolled_up_events IS NULL OR rolled_up_events < event_count);

-- Calls by hour and how they ended; `handoff_reason` is '' when no human was involved.
CREATE TABLE analytics_calls (
    tenant_id       TEXT    NOT NULL,
    flow_id         TEXT    NOT NULL,
    version         BIGINT  NOT NULL,
    day             TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    direction       TEXT    NOT NULL,
    hour            BIGINT  NOT NULL,
    outcome         TEXT    NOT NULL,
    handoff_reason  TEXT    NOT NULL,
    calls           BIGINT  NOT NULL,
    contained       BIGINT  NOT NULL,
    handle_ms       BIGINT  NOT NULL,
    turns           BIGINT  NOT NULL,
    no_match        BIGINT  NOT NULL,
    no_input        BIGINT  NOT NULL,
    kb_answered     BIGINT  NOT NULL,
    kb_missed       BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version, day, channel, direction, hour, outcome, handoff_reason)
);
CREATE INDEX analytics_calls_tenant_day_idx ON analytics_calls (tenant_id, day);

-- Handle times in buckets a fifth of a doubling wide (15%), for percentiles.
CREATE TABLE analytics_handle_times (
    tenant_id  TEXT    NOT NULL,
    flow_id    TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    day        TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    direction  TEXT    NOT NULL,
    bucket     BIGINT  NOT NULL,
    calls      BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version, day, channel, direction, bucket)
);
CREATE INDEX analytics_handle_times_tenant_day_idx ON analytics_handle_times (tenant_id, day);

-- Per node: calls that reached it, ended there (and of those, hung up), no-match and no-input.
CREATE TABLE analytics_nodes (
    tenant_id  TEXT    NOT NULL,
    flow_id    TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    day        TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    direction  TEXT    NOT NULL,
    node       TEXT    NOT NULL,
    reached    BIGINT  NOT NULL,
    entered    BIGINT  NOT NULL,
    ended      BIGINT  NOT NULL,
    abandoned  BIGINT  NOT NULL,
    no_match   BIGINT  NOT NULL,
    no_input   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version, day, channel, direction, node)
);
CREATE INDEX analytics_nodes_tenant_flow_idx ON analytics_nodes (tenant_id, flow_id, day);

-- Steps from node to node, for the canvas's edge thickness.
CREATE TABLE analytics_edges (
    tenant_id  TEXT    NOT NULL,
    flow_id    TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    day        TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    direction  TEXT    NOT NULL,
    from_node  TEXT    NOT NULL,
    to_node    TEXT    NOT NULL,
    steps      BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version, day, channel, direction, from_node, to_node)
);
CREATE INDEX analytics_edges_tenant_flow_idx ON analytics_edges (tenant_id, flow_id, day);

-- Recognised intents: how often, and in how many calls.
CREATE TABLE analytics_intents (
    tenant_id  TEXT    NOT NULL,
    flow_id    TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    day        TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    direction  TEXT    NOT NULL,
    intent     TEXT    NOT NULL,
    heard      BIGINT  NOT NULL,
    calls      BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version, day, channel, direction, intent)
);
CREATE INDEX analytics_intents_tenant_day_idx ON analytics_intents (tenant_id, day);

-- Knowledge-base entries answered, and what callers said of the answer.
CREATE TABLE analytics_knowledge (
    tenant_id       TEXT    NOT NULL,
    flow_id         TEXT    NOT NULL,
    version         BIGINT  NOT NULL,
    day             TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    direction       TEXT    NOT NULL,
    knowledge_base  TEXT    NOT NULL,
    entry           TEXT    NOT NULL,
    answered        BIGINT  NOT NULL,
    helpful         BIGINT  NOT NULL,
    unhelpful       BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version, day, channel, direction, knowledge_base, entry)
);
CREATE INDEX analytics_knowledge_tenant_day_idx ON analytics_knowledge (tenant_id, day);

-- What callers said that matched no intent (`no_match`) or no knowledge entry (`kb_missed`),
-- by its normalised text, with the latest call that said it.
CREATE TABLE analytics_unheard (
    tenant_id  TEXT    NOT NULL,
    flow_id    TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    day        TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    direction  TEXT    NOT NULL,
    node       TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    said       BIGINT  NOT NULL,
    last_call  TEXT    NOT NULL,
    last_at    BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, version, day, channel, direction, node, kind, text)
);
CREATE INDEX analytics_unheard_tenant_day_idx ON analytics_unheard (tenant_id, day);

-- Unheard phrasings the manager dealt with: added as an intent's example (`example`), as a
-- knowledge entry's alternative question (`alternative`), or dismissed (`dismissed`). The
-- "not understood" list leaves them out; who did it and when is in the audit log too.
CREATE TABLE analytics_handled (
    tenant_id   TEXT    NOT NULL,
    flow_id     TEXT    NOT NULL,
    node        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    resolution  TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, flow_id, node, kind, text)
);
