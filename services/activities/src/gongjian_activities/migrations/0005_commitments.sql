-- Commitments kept in public: service pledges (为民服务承诺), joint meetings (联席会议) with their
-- decisions, and ventures that lead people (双带) with their figures over time.

CREATE TABLE pledge (
    id                   uuid PRIMARY KEY,
    seq                  bigserial UNIQUE,
    area_code            text COLLATE "C" NOT NULL,
    pledger_kind         text NOT NULL CHECK (pledger_kind IN ('ORGANIZATION', 'MEMBER')),
    organization_id      uuid,
    person_id            uuid,
    CHECK ((pledger_kind = 'ORGANIZATION') = (organization_id IS NOT NULL)),
    CHECK ((pledger_kind = 'MEMBER') = (person_id IS NOT NULL)),
    content              text NOT NULL CHECK (length(content) BETWEEN 1 AND 500),
    made_on              date NOT NULL,
    due_on               date NOT NULL CHECK (due_on > made_on),
    status               text NOT NULL DEFAULT 'MADE'
        CHECK (status IN ('MADE', 'FULFILLED', 'LAPSED')),
    evidence             text CHECK (length(evidence) BETWEEN 1 AND 2000),
    evidence_activity_id uuid REFERENCES activity (id),
    fulfilled_on         date,
    on_time              boolean,
    lapsed_at            timestamptz,                -- when the sweep noticed the due day passed
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
-- An area's public list, newest first; an organisation's own.
CREATE INDEX pledge_area ON pledge (area_code, seq DESC);
CREATE INDEX pledge_organization ON pledge (organization_id, seq DESC)
    WHERE organization_id IS NOT NULL;
-- The lapse sweep: pledges still only made, by due day.
CREATE INDEX pledge_made_due ON pledge (due_on, seq) WHERE status = 'MADE';

-- A joint meeting's record: an activity of category JOINT_MEETING, recorded (again) by those who
-- keep one of its organisers.
CREATE TABLE joint_meeting (
    activity_id  uuid PRIMARY KEY REFERENCES activity (id),
    area_code    text COLLATE "C" NOT NULL,
    minutes      text CHECK (length(minutes) <= 20000),
    record_count integer NOT NULL DEFAULT 1,
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Who attended, per organisation, with its family (party, union, league, women) as this service
-- knew it when the meeting was recorded.
CREATE TABLE joint_meeting_attendee (
    activity_id     uuid NOT NULL REFERENCES joint_meeting (activity_id),
    organization_id uuid NOT NULL,
    family          text NOT NULL,
    attendee_count  integer NOT NULL CHECK (attendee_count BETWEEN 1 AND 10000),
    PRIMARY KEY (activity_id, organization_id)
);

CREATE TABLE meeting_decision (
    id                    uuid PRIMARY KEY,
    seq                   bigserial UNIQUE,
    activity_id           uuid NOT NULL REFERENCES joint_meeting (activity_id),
    area_code             text COLLATE "C" NOT NULL,   -- the meeting's
    content               text NOT NULL CHECK (length(content) BETWEEN 1 AND 500),
    owner_organization_id uuid NOT NULL,
    decided_on            date NOT NULL,               -- the meeting's day
    due_on                date NOT NULL,
    status                text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'DONE', 'DROPPED')),
    outcome               text CHECK (length(outcome) BETWEEN 1 AND 2000),
    done_on               date,
    on_time               boolean,
    drop_reason           text CHECK (length(drop_reason) BETWEEN 1 AND 500),
    dropped_on            date,
    overdue_at            timestamptz,                 -- decision.overdue raised (once)
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meeting_decision_activity ON meeting_decision (activity_id, seq);
CREATE INDEX meeting_decision_area ON meeting_decision (area_code, seq DESC);
CREATE INDEX meeting_decision_owner ON meeting_decision (owner_organization_id, seq DESC);
-- Open decisions by due day: the overdue lists, and the sweep (not yet raised).
CREATE INDEX meeting_decision_open_area ON meeting_decision (area_code, due_on, seq)
    WHERE status = 'OPEN';
CREATE INDEX meeting_decision_open_unraised ON meeting_decision (due_on, seq)
    WHERE status = 'OPEN' AND overdue_at IS NULL;

CREATE TABLE venture (
    id               uuid PRIMARY KEY,
    seq              bigserial UNIQUE,
    leader_person_id uuid NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('YOUTH_DEMONSTRATION', 'WOMEN', 'PARTY_MEMBER',
                                                   'LEAGUE_MEMBER', 'LEADING_MASSES')),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    unit_id          uuid,
    area_code        text COLLATE "C" NOT NULL,
    started_on       date NOT NULL,
    people_employed  integer NOT NULL CHECK (people_employed BETWEEN 0 AND 100000),
    people_led       integer NOT NULL CHECK (people_led BETWEEN 0 AND 100000),
    as_of            date NOT NULL,                   -- the day of the latest figures
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX venture_area ON venture (area_code, seq DESC);
CREATE INDEX venture_leader ON venture (leader_person_id);

-- Every statement of a venture's figures, the registration's first.
CREATE TABLE venture_update (
    id              bigserial PRIMARY KEY,
    venture_id      uuid NOT NULL REFERENCES venture (id),
    as_of           date NOT NULL,
    people_employed integer NOT NULL CHECK (people_employed BETWEEN 0 AND 100000),
    people_led      integer NOT NULL CHECK (people_led BETWEEN 0 AND 100000),
    note            text CHECK (length(note) <= 500),
    by_subject      text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX venture_update_venture ON venture_update (venture_id, id);
