-- 创先争优 cycles: an area, a period, a scheme (copied when the cycle opens: later changes to the
-- scheme never touch it), the subjects assessed, and each assessment's workflow and scores.

CREATE TABLE cycle (
    id           uuid PRIMARY KEY,
    seq          bigserial UNIQUE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    area_code    text COLLATE "C" NOT NULL,
    scheme_id    uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('COLLECTIVE', 'INDIVIDUAL')),
    definition   jsonb NOT NULL,               -- the scheme as it was when the cycle opened
    bands        jsonb NOT NULL,               -- grade thresholds and the 优秀 share, at opening
    period_from  date NOT NULL,
    period_to    date NOT NULL CHECK (period_to >= period_from),
    families     text[],                       -- COLLECTIVE: the organisation families assessed
    status       text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
    opened_by    text NOT NULL,
    opened_at    timestamptz NOT NULL DEFAULT now(),
    closed_by    text,
    closed_at    timestamptz,                  -- measured values are frozen as of this instant
    published_at timestamptz
);
CREATE INDEX cycle_area ON cycle (area_code, seq DESC);

CREATE TABLE assessment (
    id               uuid PRIMARY KEY,
    seq              bigserial UNIQUE,
    cycle_id         uuid NOT NULL REFERENCES cycle (id),
    subject_kind     text NOT NULL CHECK (subject_kind IN ('ORGANIZATION', 'PERSON')),
    subject_id       uuid NOT NULL,
    area_code        text COLLATE "C" NOT NULL,
    family           text,                     -- an organisation's family (ranked within it)
    status           text NOT NULL DEFAULT 'DRAFT'
        CHECK (status IN ('DRAFT', 'SUBMITTED', 'REVIEWED', 'PUBLISHED')),
    self_comment     text CHECK (length(self_comment) <= 5000),
    submitted_at     timestamptz,
    returned_reason  text,
    returned_at      timestamptz,
    assessor_subject text,                     -- the ASSESSOR token subject assigned to review it
    review_comment   text CHECK (length(review_comment) <= 5000),
    reviewed_at      timestamptz,
    total            numeric(6, 2),            -- weighted total 0..100 (frozen at publication)
    dimension_scores jsonb,                    -- {dimension code: score 0..100}
    rank             integer,                  -- within the cycle's area and the family
    grade            text CHECK (grade IN ('EXCELLENT', 'GOOD', 'PASS', 'FAIL')),
    grade_note       text,                     -- why (ties at the 优秀 cut, the share cap)
    published_at     timestamptz,
    UNIQUE (cycle_id, subject_id)
);
CREATE INDEX assessment_cycle ON assessment (cycle_id, seq);
CREATE INDEX assessment_subject ON assessment (subject_id, seq DESC);
CREATE INDEX assessment_assessor ON assessment (assessor_subject) WHERE assessor_subject IS NOT NULL;

-- Each indicator of an assessment: measured (frozen when the cycle closes; live before) or
-- scored (the organisation's own score with its evidence, the reviewer's score).
CREATE TABLE assessment_indicator (
    assessment_id    uuid NOT NULL REFERENCES assessment (id),
    code             text NOT NULL,
    numerator        numeric(16, 4),
    denominator      numeric(16, 4),
    value            numeric(16, 4),
    evidence_count   integer,
    score            numeric(6, 2),
    self_score       numeric(6, 2) CHECK (self_score BETWEEN 0 AND 100),
    self_evidence    text CHECK (length(self_evidence) <= 5000),
    reviewer_score   numeric(6, 2) CHECK (reviewer_score BETWEEN 0 AND 100),
    reviewer_comment text CHECK (length(reviewer_comment) <= 2000),
    frozen_at        timestamptz,
    PRIMARY KEY (assessment_id, code)
);

-- 群众评议: each member of the organisation rates each dimension once (1–5). Anonymous: the row
-- holds a keyed hash of the member and the assessment, never the person's id, so a rating
-- cannot be traced back, and a second one from the same member is refused.
CREATE TABLE member_review (
    assessment_id uuid NOT NULL REFERENCES assessment (id),
    reviewer_key  bytea NOT NULL,
    ratings       jsonb NOT NULL,              -- {dimension code: 1..5}
    submitted_on  date NOT NULL,               -- the day only: no instant to match to a login
    PRIMARY KEY (assessment_id, reviewer_key)
);
