-- The evidence ledger (证据): one row per source that a metric counts (an activity, a
-- participation, a source of volunteer hours, a case, a pledge, a joint meeting's decision, a
-- venture, a pairing, a visit, a membership, a leader's post), kept at the state of the last
-- event that changed it. Metrics (store/metrics.py) are computed over it, and an explanation
-- lists its rows with the event that set each one.

CREATE TABLE evidence (
    source_kind      text NOT NULL CHECK (source_kind IN (
        'ACTIVITY', 'PARTICIPATION', 'HOURS', 'CASE', 'PLEDGE', 'DECISION', 'VENTURE',
        'PAIRING', 'VISIT', 'MEMBERSHIP', 'LEADER_POST')),
    source_id        uuid NOT NULL,
    -- A stable order of the ledger (an explanation's cursor): set once, when the row is made.
    position         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    -- The organisations it counts for (an activity's organisers, a case's handler, a pairing's
    -- parties, a membership's organisation …), sorted and distinct; and/or the person.
    organization_ids uuid[] NOT NULL DEFAULT '{}',
    person_id        uuid,
    -- The activity of a participation, of hours or of a decision; the pairing of a visit.
    parent_id        uuid,
    area_code        text COLLATE "C" NOT NULL,
    -- The day that places it in a period: an activity's start, a check-in's day, the day hours
    -- were served, a case's opening, a pledge's or decision's due day, a venture's start, a
    -- pairing's start, a visit's day, a membership's first day, a leader's term start.
    occurred_on      date NOT NULL,
    -- Spans (memberships, leader posts, pairings): the last day, once ended (NULL: still held).
    until_on         date,
    -- A case's, pledge's or decision's due day; a leader's term end; a pairing's planned end.
    due_on           date,
    -- What the metrics read.
    status           text,
    category         text,            -- an activity's or case's category; a membership's family; a post
    hours            numeric(8, 2) CHECK (hours >= 0),
    satisfaction     smallint CHECK (satisfaction BETWEEN 1 AND 5),
    on_time          boolean,
    checked_in       boolean,
    attrs            jsonb NOT NULL DEFAULT '{}',   -- the rest the events tell (codes, counts, dates)
    -- The last event that changed the row, and when it arrived here (the consumer's clock).
    last_event_id    uuid NOT NULL,
    last_event_type  text NOT NULL,
    last_version     bigint,          -- the subject's version of the last event applied
    last_event_at    timestamptz NOT NULL,
    received_at      timestamptz NOT NULL,
    PRIMARY KEY (source_kind, source_id)
);

-- A district's metrics read one kind over a period; one organisation's through its ids.
CREATE INDEX evidence_kind_period ON evidence (source_kind, occurred_on);
-- fastupdate off: a pending list would be scanned whole by every one-organisation preview.
CREATE INDEX evidence_organizations ON evidence USING gin (organization_ids)
    WITH (fastupdate = off);
CREATE INDEX evidence_person ON evidence (person_id, source_kind, occurred_on)
    WHERE person_id IS NOT NULL;
-- Late evidence: what arrived after a cycle closed.
CREATE INDEX evidence_received ON evidence (received_at);
-- The membership read model: members of an organisation, the organisations of a member.
CREATE INDEX evidence_membership ON evidence ((organization_ids[1]), person_id)
    WHERE source_kind = 'MEMBERSHIP';

-- Memberships and leaders' posts as the organizations topic tells them (the day a span ends is
-- its last day).
CREATE VIEW membership AS
    SELECT source_id AS membership_id, organization_ids[1] AS organization_id, person_id,
           category AS family, area_code, occurred_on AS since, until_on AS until,
           last_event_id, received_at
    FROM evidence WHERE source_kind = 'MEMBERSHIP';

CREATE VIEW leader_post AS
    SELECT source_id AS leader_id, organization_ids[1] AS organization_id, person_id,
           category AS post, area_code, occurred_on AS term_start, due_on AS term_end,
           until_on AS ended_on, last_event_id, received_at
    FROM evidence WHERE source_kind = 'LEADER_POST';

-- Cycles are opened over an area's organisations of given families: their kind and name too.
ALTER TABLE organization_ref
    ADD COLUMN kind text,
    ADD COLUMN name text;
CREATE INDEX organization_ref_area ON organization_ref (area_code) WHERE dissolved_on IS NULL;
