-- 创先争优 awards: a title proposed from a published assessment, announced for a public notice
-- period (公示, N working days) during which anyone of the area may raise an objection (异议);
-- conferred once the period is over and every objection answered, or withdrawn with a reason.

CREATE TABLE award (
    id              uuid PRIMARY KEY,
    seq             bigserial UNIQUE,
    cycle_id        uuid NOT NULL REFERENCES cycle (id),
    assessment_id   uuid NOT NULL REFERENCES assessment (id),
    subject_kind    text NOT NULL CHECK (subject_kind IN ('ORGANIZATION', 'PERSON')),
    subject_id      uuid NOT NULL,
    area_code       text COLLATE "C" NOT NULL,
    title           text NOT NULL CHECK (title IN ('ADVANCED_COLLECTIVE', 'MODEL_LEARNING',
        'MODEL_POLICY', 'MODEL_SERVICE', 'MODEL_DEDICATION', 'MODEL_DISCIPLINE')),
    status          text NOT NULL DEFAULT 'PROPOSED'
        CHECK (status IN ('PROPOSED', 'CONFERRED', 'WITHDRAWN')),
    notice_from     date NOT NULL,             -- the day the notice is posted
    notice_until    date NOT NULL CHECK (notice_until >= notice_from),  -- its last day
    objection_count integer NOT NULL DEFAULT 0,
    open_objections integer NOT NULL DEFAULT 0, -- raised and not answered yet
    proposed_by     text NOT NULL,
    proposed_at     timestamptz NOT NULL,
    conferred_by    text,
    conferred_at    timestamptz,
    withdrawn_by    text,
    withdrawn_at    timestamptz,
    withdraw_reason text CHECK (length(withdraw_reason) BETWEEN 1 AND 500)
);
-- One live award per assessment and title; a withdrawn one may be proposed again.
CREATE UNIQUE INDEX award_once ON award (assessment_id, title) WHERE status <> 'WITHDRAWN';
CREATE INDEX award_area ON award (area_code, seq DESC);
CREATE INDEX award_subject ON award (subject_id, seq DESC);

-- Who raised an objection is a token subject, kept for the admins who answer it (never in the
-- public notice, never in events).
CREATE TABLE objection (
    id          uuid PRIMARY KEY,
    seq         bigserial UNIQUE,
    award_id    uuid NOT NULL REFERENCES award (id),
    content     text NOT NULL CHECK (length(content) BETWEEN 1 AND 2000),
    raised_by   text NOT NULL,
    raised_at   timestamptz NOT NULL,
    answer      text CHECK (length(answer) BETWEEN 1 AND 2000),
    answered_by text,
    answered_at timestamptz
);
CREATE INDEX objection_award ON objection (award_id, seq);
