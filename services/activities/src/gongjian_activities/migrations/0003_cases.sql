-- The case desk (诉求): rights and help requests, their time limits, timelines and escalation.

-- Organisations' superiors (for escalation), from organization.established's parentId.
ALTER TABLE organization_ref ADD COLUMN parent_id uuid;

-- The catalogue of case categories: configurable (defineCaseCategory), with Chinese labels.
CREATE TABLE case_category (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{1,39}$'),
    label_zh   text NOT NULL CHECK (length(label_zh) BETWEEN 1 AND 40),
    label_en   text NOT NULL CHECK (length(label_en) BETWEEN 1 AND 80),
    active     boolean NOT NULL DEFAULT true,
    sort       integer NOT NULL DEFAULT 100,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO case_category (code, label_zh, label_en, sort) VALUES
    ('UNPAID_WAGES', '欠薪', 'Unpaid wages', 10),
    ('LABOUR_DISPUTE', '劳动争议', 'Labour dispute', 20),
    ('WOMEN_CHILDREN_RIGHTS', '妇女儿童权益', 'Rights of women and children', 30),
    ('YOUTH_EMPLOYMENT', '青年就业', 'Youth employment', 40),
    ('HARDSHIP_AID', '困难帮扶', 'Help in hardship', 50),
    ('DISPUTE_MEDIATION', '矛盾纠纷', 'Dispute mediation', 60),
    ('CONVENIENCE_SERVICE', '便民服务', 'Convenience service', 70),
    ('SUGGESTION', '意见建议', 'Opinion or suggestion', 80);

CREATE TABLE service_case (
    id                  uuid PRIMARY KEY,
    seq                 bigserial UNIQUE,
    number              text NOT NULL UNIQUE,          -- 诉求编号, e.g. SQ20261127000123
    channel             text NOT NULL,
    category            text NOT NULL REFERENCES case_category (code),
    urgency             text NOT NULL CHECK (urgency IN ('URGENT', 'NORMAL', 'COMPLEX')),
    title               text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description         text CHECK (length(description) <= 5000),
    area_code           text COLLATE "C" NOT NULL,
    organization_id     uuid NOT NULL,                 -- who handles it now
    -- Requester: a registered person, or a name and phone (AES-GCM, bound to this case), or none.
    requester_kind      text NOT NULL CHECK (requester_kind IN ('PERSON', 'NAMED', 'ANONYMOUS')),
    requester_person_id uuid,
    requester_name_enc  bytea,
    requester_phone_enc bytea,
    CHECK ((requester_kind = 'PERSON') = (requester_person_id IS NOT NULL)),
    CHECK ((requester_kind = 'NAMED') = (requester_name_enc IS NOT NULL)),
    received_at         timestamptz NOT NULL,           -- when the desk took it (may be earlier)
    opened_on           date NOT NULL,                  -- the programme's day it was received
    limit_days          integer NOT NULL CHECK (limit_days BETWEEN 0 AND 365),
    due_on              date NOT NULL,                  -- last working day within the limit
    status              text NOT NULL DEFAULT 'OPEN'
        CHECK (status IN ('OPEN', 'ACCEPTED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED')),
    accepted_at         timestamptz,
    started_at          timestamptz,
    resolved_at         timestamptz,
    resolved_on         date,
    resolution          text CHECK (length(resolution) <= 5000),
    working_days        integer,                        -- working days taken to resolve
    on_time             boolean,
    closed_at           timestamptz,
    satisfaction        smallint CHECK (satisfaction BETWEEN 1 AND 5),
    requester_reached   boolean,
    reopen_count        integer NOT NULL DEFAULT 0,
    escalated_at        timestamptz,
    escalated_to        uuid,                           -- the handler's superior, when overdue
    visit_id            uuid,                           -- the visit that found the problem
    pairing_id          uuid,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- Lists newest first, in an area and beneath it.
CREATE INDEX service_case_area ON service_case (area_code, seq DESC);
-- Not yet resolved, by deadline: the overdue lists and the escalation sweep.
CREATE INDEX service_case_pending_due ON service_case (due_on, seq) INCLUDE (area_code)
    WHERE status IN ('OPEN', 'ACCEPTED', 'IN_PROGRESS');
CREATE INDEX service_case_pending_area ON service_case (area_code, due_on, seq)
    WHERE status IN ('OPEN', 'ACCEPTED', 'IN_PROGRESS');
CREATE INDEX service_case_org ON service_case (organization_id, seq DESC);
CREATE INDEX service_case_escalated ON service_case (escalated_to, seq DESC)
    WHERE escalated_to IS NOT NULL;
CREATE INDEX service_case_requester ON service_case (requester_person_id, seq DESC)
    WHERE requester_person_id IS NOT NULL;
CREATE INDEX service_case_visit ON service_case (visit_id) WHERE visit_id IS NOT NULL;

-- A case's timeline: every step, who took it, and what they said.
CREATE TABLE case_step (
    id                bigserial PRIMARY KEY,
    case_id           uuid NOT NULL REFERENCES service_case (id),
    kind              text NOT NULL,
    at                timestamptz NOT NULL,
    by_subject        text NOT NULL,                    -- the token's subject ("system": the sweep)
    status_after      text NOT NULL,
    from_organization uuid,
    to_organization   uuid,
    note              text CHECK (length(note) <= 5000)
);
CREATE INDEX case_step_case ON case_step (case_id, id);
