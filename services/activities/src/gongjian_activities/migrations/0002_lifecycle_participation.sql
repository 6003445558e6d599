-- The activity lifecycle, people and their participation, volunteer hours and certificates.

ALTER TABLE activity
    ADD COLUMN description   text CHECK (length(description) <= 5000),
    ADD COLUMN capacity      integer CHECK (capacity IS NULL OR capacity BETWEEN 1 AND 100000),
    ADD COLUMN service_kind  text,
    ADD COLUMN people_served integer CHECK (people_served IS NULL OR people_served >= 0),
    ADD COLUMN summary       text CHECK (length(summary) <= 5000),
    ADD COLUMN cancel_reason text,
    ADD COLUMN published_at  timestamptz,
    ADD COLUMN started_at    timestamptz,
    ADD COLUMN completed_at  timestamptz,
    ADD COLUMN cancelled_at  timestamptz,
    -- Places taken (sign-ups not withdrawn), kept under the activity's row lock.
    ADD COLUMN taken         integer NOT NULL DEFAULT 0 CHECK (taken >= 0),
    -- Secret behind the rotating check-in codes (never leaves the service).
    ADD COLUMN checkin_secret bytea NOT NULL
        DEFAULT decode(md5(gen_random_uuid()::text) || md5(gen_random_uuid()::text), 'hex'),
    ADD CONSTRAINT activity_capacity_held CHECK (capacity IS NULL OR taken <= capacity);

-- Newest first: by start, then by insertion.
CREATE INDEX activity_area_newest ON activity (area_code, starts_at DESC, seq DESC);
CREATE INDEX activity_newest ON activity (starts_at DESC, seq DESC);

ALTER TABLE organization_ref ADD COLUMN name text;

-- What this service knows of people, learnt from the organizations topic: ids, area, age band,
-- never names or numbers.
CREATE TABLE person_ref (
    id               uuid PRIMARY KEY,
    area_code        text COLLATE "C" NOT NULL,
    age_band         text,
    political_status text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Current memberships and posts (for an ORG_ADMIN's reach over its members).
CREATE TABLE membership_ref (
    person_id       uuid NOT NULL,
    organization_id uuid NOT NULL,
    source_id       uuid NOT NULL,  -- membership or leader id
    PRIMARY KEY (source_id)
);
CREATE INDEX membership_ref_person ON membership_ref (person_id, organization_id);

CREATE TABLE participation (
    id               uuid PRIMARY KEY,
    seq              bigserial UNIQUE,
    activity_id      uuid NOT NULL REFERENCES activity (id),
    person_id        uuid NOT NULL,
    role             text NOT NULL CHECK (role IN ('VOLUNTEER', 'PARTICIPANT', 'ORGANIZER')),
    status           text NOT NULL
        CHECK (status IN ('SIGNED_UP', 'WITHDRAWN', 'CHECKED_IN', 'CHECKED_OUT')),
    area_code        text COLLATE "C" NOT NULL,  -- the activity's area
    person_area_code text COLLATE "C",           -- the person's area when they signed up
    activity_date    date NOT NULL,              -- local day the activity starts (periods)
    signed_up_at     timestamptz,
    withdrawn_at     timestamptz,
    checked_in_at    timestamptz,
    checked_in_by    text,
    check_in_method  text CHECK (check_in_method IN ('ORGANIZER', 'CODE')),
    checked_out_at   timestamptz,
    claimed_hours    numeric(6, 2),
    hours_status     text CHECK (hours_status IN ('PENDING', 'VERIFIED', 'REJECTED')),
    verified_hours   numeric(6, 2) CHECK (verified_hours IS NULL OR verified_hours >= 0),
    verified_by      text,
    verified_at      timestamptz,
    reject_reason    text,
    UNIQUE (activity_id, person_id),
    CHECK (checked_out_at IS NULL OR checked_out_at >= checked_in_at)
);
CREATE INDEX participation_person ON participation (person_id, activity_date)
    INCLUDE (hours_status, verified_hours, claimed_hours);
CREATE INDEX participation_activity ON participation (activity_id, seq);
-- People checked in and not out: the overlap check.
CREATE INDEX participation_present ON participation (person_id) WHERE status = 'CHECKED_IN';

-- Hours added by hand, kept apart from verified participation, with who and why.
CREATE TABLE manual_hours (
    id          uuid PRIMARY KEY,
    seq         bigserial UNIQUE,
    person_id   uuid NOT NULL,
    activity_id uuid REFERENCES activity (id),
    area_code   text COLLATE "C" NOT NULL,
    served_on   date NOT NULL,
    hours       numeric(6, 2) NOT NULL CHECK (hours > 0 AND hours <= 24),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    added_by    text NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX manual_hours_person ON manual_hours (person_id, served_on);

-- A person's counted hours (verified + manual) and pending claims per period ('2026' and
-- '2026-03'), for top-volunteer lists; kept in the transaction that changes the hours.
CREATE TABLE volunteer_period (
    person_id uuid NOT NULL,
    period    text COLLATE "C" NOT NULL,
    area_code text COLLATE "C" NOT NULL,  -- the person's area when the period began for them
    verified  numeric(10, 2) NOT NULL DEFAULT 0,
    manual    numeric(10, 2) NOT NULL DEFAULT 0,
    total     numeric(10, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (person_id, period)
);
CREATE INDEX volunteer_period_top ON volunteer_period (period, total DESC, person_id);
CREATE INDEX volunteer_period_area ON volunteer_period (period, area_code);

CREATE TABLE volunteer_certificate (
    number          text PRIMARY KEY,
    seq             bigserial UNIQUE,
    verification    text NOT NULL,
    person_id       uuid NOT NULL,
    name_enc        bytea NOT NULL,      -- the person's name, kit personal-data encryption
    name_masked     text NOT NULL,       -- e.g. 张*明, what a verifier sees
    issuer_id       uuid NOT NULL,
    issuer_name     text NOT NULL,
    period_from     date NOT NULL,
    period_to       date NOT NULL,
    total_hours     numeric(10, 2) NOT NULL,
    lines           jsonb NOT NULL,      -- activity, date, hours: what the document states
    pdf             bytea NOT NULL,
    issued_by       text NOT NULL,
    issued_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX volunteer_certificate_person ON volunteer_certificate (person_id, seq);
