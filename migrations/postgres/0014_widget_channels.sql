-- The chat widget on shops' own sites. A channel gives one flow's published version a
-- publishable key that a page may hold (it allows nothing but chatting with that flow), the
-- origins whose pages may use it, whether it is on, and the widget's default language.
CREATE TABLE widget_channels (
    id               TEXT    NOT NULL PRIMARY KEY,
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    flow_id          TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    key              TEXT    NOT NULL,
    -- A JSON array of origins such as "https://shop.example".
    allowed_origins  TEXT    NOT NULL,
    enabled          BIGINT NOT NULL,
    language         TEXT    NOT NULL CHECK (language IN ('zh-CN', 'en')),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, id)
);
-- Every widget request finds its channel by the key alone.
CREATE UNIQUE INDEX widget_channels_key_key ON widget_channels (key);
CREATE INDEX widget_channels_tenant_idx ON widget_channels (tenant_id, created_at);

-- Which visitor of which channel a web-chat session belongs to: a visitor reads and writes
-- only its own. The visitor is the SHA-256 of the token its browser keeps, so the database
-- holds no tokens.
CREATE TABLE widget_conversations (
    session_id   TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL,
    channel_id   TEXT    NOT NULL REFERENCES widget_channels (id) ON DELETE CASCADE,
    visitor      TEXT    NOT NULL,
    call_id      TEXT    NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX widget_conversations_channel_idx ON widget_conversations (channel_id);

-- Widget requests counted per fixed window and bucket (a visitor, an IP address), in the
-- database so that servers sharing it share the limits.
CREATE TABLE widget_rate_windows (
    bucket        TEXT    NOT NULL,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
