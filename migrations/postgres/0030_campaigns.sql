-- Outbound campaigns: a published flow called to the contacts of a list on a schedule, with
-- the work in the database so that any server may do it and none does it twice.
--
-- `settings` is the campaign's JSON (schedule, pacing, retries, cap, answering machines,
-- trigger). `next_slot_at` is the pacing shared by every server: the earliest instant the next
-- dial may start, moved forward by each dial in the same statement that checks it.
CREATE TABLE campaigns (
    tenant_id      TEXT   NOT NULL REFERENCES tenants (id),
    id             TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    flow_id        TEXT   NOT NULL,
    flow_version   BIGINT NOT NULL,
    list_id        TEXT   NOT NULL,
    settings       TEXT   NOT NULL,
    status         TEXT   NOT NULL CHECK (status IN ('draft', 'running', 'paused', 'stopped', 'completed')),
    next_slot_at   BIGINT NOT NULL DEFAULT 0,
    -- A date-triggered campaign: the last local date whose contacts were queued.
    planned_through TEXT,
    created_by     TEXT   NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX campaigns_tenant_idx ON campaigns (tenant_id, created_at);
CREATE INDEX campaigns_status_idx ON campaigns (status);

-- One contact to call in one campaign (and, for a date-triggered one, on one date: its
-- `occurrence`). `state`: queued (waits for `due_at`), dialing (claimed; its lease says until
-- when the claim holds while no attempt is in flight), done (`final_status` says how).
CREATE TABLE campaign_jobs (
    tenant_id     TEXT   NOT NULL REFERENCES tenants (id),
    id            TEXT   NOT NULL,
    campaign_id   TEXT   NOT NULL,
    contact_id    TEXT   NOT NULL,
    phone         TEXT   NOT NULL,
    name          TEXT   NOT NULL DEFAULT '',
    occurrence    TEXT   NOT NULL DEFAULT '',
    state         TEXT   NOT NULL CHECK (state IN ('queued', 'dialing', 'done')),
    due_at        BIGINT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_until   BIGINT,
    final_status  TEXT,
    outcome       TEXT,
    results       TEXT   NOT NULL DEFAULT '{}',
    -- Why the job waits or was left out, as a code (outside_hours, holiday, capped…).
    note          TEXT   NOT NULL DEFAULT '',
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT campaign_jobs_contact_key UNIQUE (campaign_id, contact_id, occurrence)
);
CREATE INDEX campaign_jobs_due_idx ON campaign_jobs (campaign_id, state, due_at);

-- Every dial, written before the carrier is asked (its `call_id` chosen first), so that after
-- a crash the server knows whether a call may have rung. The key is unique: a job's n-th
-- attempt exists once.
CREATE TABLE campaign_attempts (
    tenant_id       TEXT   NOT NULL REFERENCES tenants (id),
    id              TEXT   NOT NULL,
    idempotency_key TEXT   NOT NULL,
    campaign_id     TEXT   NOT NULL,
    job_id          TEXT   NOT NULL,
    phone           TEXT   NOT NULL,
    attempt         INTEGER NOT NULL,
    call_id         TEXT   NOT NULL,
    started_at      BIGINT NOT NULL,
    ended_at        BIGINT,
    -- completed, busy, no_answer, failed, voicemail, not_dialed, interrupted; NULL in flight.
    result          TEXT,
    -- The consent the contact had when it was dialled: the evidence kept with the call.
    consent_source  TEXT   NOT NULL DEFAULT '',
    consent_at      BIGINT,
    PRIMARY KEY (id),
    CONSTRAINT campaign_attempts_key UNIQUE (idempotency_key)
);
CREATE INDEX campaign_attempts_open_idx ON campaign_attempts (campaign_id, result);
CREATE INDEX campaign_attempts_phone_idx ON campaign_attempts (tenant_id, phone, started_at);
CREATE INDEX campaign_attempts_job_idx ON campaign_attempts (job_id);

-- The shop's carrier account's own limit of calls per second, shared by all of its campaigns:
-- the earliest instant its next dial may start.
CREATE TABLE carrier_slots (
    tenant_id     TEXT   NOT NULL REFERENCES tenants (id),
    carrier       TEXT   NOT NULL,
    next_slot_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, carrier)
);
