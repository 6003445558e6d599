-- Figures of what the activities service records: the lifecycle, check-ins, volunteer hours.
-- Each subject's last state is kept, so a handler moves the figures by the difference between
-- the old state and the new one (a redelivered or repeated event moves nothing).

ALTER TABLE area_stats
    ADD COLUMN completed_activity_count integer NOT NULL DEFAULT 0,
    ADD COLUMN people_served            bigint NOT NULL DEFAULT 0,
    ADD COLUMN checked_in_count         integer NOT NULL DEFAULT 0,
    ADD COLUMN volunteer_count          integer NOT NULL DEFAULT 0,
    ADD COLUMN volunteer_hours          numeric(14, 2) NOT NULL DEFAULT 0;

ALTER TABLE organization_activity_summary
    ADD COLUMN completed_count integer NOT NULL DEFAULT 0,
    ADD COLUMN people_served   bigint NOT NULL DEFAULT 0,
    ADD COLUMN volunteer_hours numeric(14, 2) NOT NULL DEFAULT 0;

-- One row per activity: where and by whom it counts, and how.
CREATE TABLE activity_state (
    activity_id   uuid PRIMARY KEY,
    area_code     text COLLATE "C" NOT NULL,
    organizer_ids uuid[] NOT NULL,
    status        text NOT NULL
        CHECK (status IN ('PLANNED', 'PUBLISHED', 'ONGOING', 'COMPLETED', 'CANCELLED')),
    people_served integer NOT NULL DEFAULT 0 CHECK (people_served >= 0),
    starts_at     timestamptz
);
-- An organisation's latest activity (activity summaries) is found through its organiser ids.
CREATE INDEX activity_state_organizers ON activity_state USING gin (organizer_ids);

-- One row per participation: whether it counts as checked in, and where.
CREATE TABLE participation_state (
    participation_id uuid PRIMARY KEY,
    area_code        text COLLATE "C" NOT NULL,
    checked_in       boolean NOT NULL
);

-- One row per source of hours: a participation's verified hours (0 once rejected) or hours
-- added by hand.
CREATE TABLE hours_state (
    source_id     uuid PRIMARY KEY,
    person_id     uuid NOT NULL,
    area_code     text COLLATE "C" NOT NULL,
    organizer_ids uuid[] NOT NULL,
    hours         numeric(8, 2) NOT NULL CHECK (hours >= 0)
);

-- For each person and each area above their hours (community, street, district): how many of
-- their sources of hours count there. A person is one volunteer of an area while it is above 0,
-- however many activities they served in. (No CHECK (sources >= 0): an upsert checks the row it
-- proposes, and a decrement is proposed as a negative row before it meets the existing one.)
CREATE TABLE volunteer_area (
    person_id uuid NOT NULL,
    area_code text COLLATE "C" NOT NULL,
    sources   integer NOT NULL,
    PRIMARY KEY (person_id, area_code)
);
