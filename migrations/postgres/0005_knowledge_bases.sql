-- Knowledge bases: a tenant's FAQs, which flows' `answer` nodes search. Kept column-for-column
-- equal to ../sqlite/0005_*.sql.
--
-- A base is named by its `key` (a slug flows refer to, immutable, unique among the tenant's
-- bases that are not deleted) and has an id of its own, so that a deleted base's revisions stay
-- apart from a new base that reuses its key. `revision` is 1 at creation and +1 on every change
-- (one entry, or a whole import).
CREATE TABLE knowledge_bases (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    revision    BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    deleted_at  BIGINT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
CREATE UNIQUE INDEX knowledge_bases_tenant_id_key_key
    ON knowledge_bases (tenant_id, key) WHERE deleted_at IS NULL;

-- Every version of every entry, valid from the revision that wrote it until (excluded) the one
-- that changed or deleted it; `valid_to` is NULL while it is current. Revision N of a base is
-- then one range query, and a revision that running calls pinned stays loadable after any
-- number of edits. Rows are never updated except to close their range.
CREATE TABLE knowledge_entries (
    tenant_id     TEXT    NOT NULL,
    base_id       TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    valid_from    BIGINT  NOT NULL,
    valid_to      BIGINT,
    question      TEXT    NOT NULL,
    alternatives  TEXT    NOT NULL,
    answer        TEXT    NOT NULL,
    category      TEXT    NOT NULL,
    enabled       BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, base_id, id, valid_from),
    FOREIGN KEY (tenant_id, base_id) REFERENCES knowledge_bases (tenant_id, id)
);
CREATE INDEX knowledge_entries_revision_idx
    ON knowledge_entries (tenant_id, base_id, valid_from, valid_to);

-- Who made each revision and what it changed (`summary`: JSON counts and the kind of change).
CREATE TABLE knowledge_revisions (
    tenant_id  TEXT    NOT NULL,
    base_id    TEXT    NOT NULL,
    revision   BIGINT  NOT NULL,
    at         BIGINT  NOT NULL,
    actor      TEXT    NOT NULL,
    summary    TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, base_id, revision),
    FOREIGN KEY (tenant_id, base_id) REFERENCES knowledge_bases (tenant_id, id)
);

-- The knowledge-base revisions a conversation started with, as JSON
-- `{"<key>": {"base": "<id>", "revision": N}}`; every turn resumes on exactly those. NULL for
-- conversations from before knowledge bases, which use none.
ALTER TABLE conversations ADD COLUMN knowledge TEXT;
