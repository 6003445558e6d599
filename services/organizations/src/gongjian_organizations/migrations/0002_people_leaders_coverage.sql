-- Units can be updated and closed.
ALTER TABLE unit ADD COLUMN closed_on date, ADD COLUMN closed_reason text,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- People. The ID number and phone are stored encrypted, found by keyed hash; the last four
-- characters and the first three are kept apart so masked values need no decryption.
CREATE TABLE person (
    id               uuid PRIMARY KEY,
    seq              bigserial UNIQUE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    gender           text NOT NULL CHECK (gender IN ('MALE', 'FEMALE')),
    birth_date       date NOT NULL,
    political_status text NOT NULL,
    employer_unit_id uuid REFERENCES unit (id),
    area_code        text COLLATE "C" NOT NULL REFERENCES area (code),
    migrant_worker   boolean NOT NULL DEFAULT false,
    id_number_hash   bytea NOT NULL UNIQUE,
    id_number_enc    bytea NOT NULL,
    id_number_masked text NOT NULL,
    phone_enc        bytea,
    phone_masked     text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_area ON person (area_code, seq);
CREATE INDEX person_employer ON person (employer_unit_id);

CREATE TABLE political_status_change (
    person_id  uuid NOT NULL REFERENCES person (id),
    status     text NOT NULL,
    since      date NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    recorded_by text NOT NULL
);
CREATE INDEX political_status_change_person ON political_status_change (person_id, since);

-- Every read of unmasked personal data: who, whom, when, which field.
CREATE TABLE personal_data_access (
    id         bigserial PRIMARY KEY,
    actor      text NOT NULL,
    person_id  uuid NOT NULL REFERENCES person (id),
    field      text NOT NULL,
    read_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX personal_data_access_person ON personal_data_access (person_id, read_at);

CREATE TABLE membership (
    id              uuid PRIMARY KEY,
    seq             bigserial UNIQUE,
    person_id       uuid NOT NULL REFERENCES person (id),
    organization_id uuid NOT NULL REFERENCES organization (id),
    role            text NOT NULL,
    since           date NOT NULL,
    until           date,
    CHECK (until IS NULL OR until >= since)
);
CREATE INDEX membership_person ON membership (person_id);
CREATE INDEX membership_organization ON membership (organization_id);
CREATE UNIQUE INDEX membership_one_active ON membership (person_id, organization_id)
    WHERE until IS NULL;

CREATE TABLE functional_group (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organization (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind            text NOT NULL,
    created_on      date NOT NULL DEFAULT current_date,
    dissolved_on    date
);
CREATE INDEX functional_group_organization ON functional_group (organization_id);

CREATE TABLE group_member (
    group_id  uuid NOT NULL REFERENCES functional_group (id),
    person_id uuid NOT NULL REFERENCES person (id),
    since     date NOT NULL DEFAULT current_date,
    PRIMARY KEY (group_id, person_id)
);

CREATE TABLE leader (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organization (id),
    person_id       uuid NOT NULL REFERENCES person (id),
    post            text NOT NULL,
    term_start      date NOT NULL,
    term_end        date NOT NULL,
    ended_on        date,
    CHECK (term_end > term_start)
);
CREATE INDEX leader_organization ON leader (organization_id);
CREATE INDEX leader_due ON leader (term_end) WHERE ended_on IS NULL;

-- Coverage, kept current as units and organisations change (never recomputed per query).
CREATE TABLE unit_coverage (
    unit_id   uuid NOT NULL REFERENCES unit (id),
    family    text NOT NULL,
    area_code text COLLATE "C" NOT NULL,
    required  boolean NOT NULL,
    mode      text,                        -- OWN | JOINT | ATTACHED, NULL when not covered
    headcount integer NOT NULL,            -- the count the family's rule looks at
    counted   boolean NOT NULL,            -- false once the unit is closed
    seq       bigint NOT NULL,             -- the unit's seq, for stable paging
    PRIMARY KEY (unit_id, family)
);
-- The gap list: required, not covered, largest headcount first, within an area subtree.
CREATE INDEX unit_coverage_gaps ON unit_coverage (family, area_code, headcount DESC, seq)
    WHERE required AND mode IS NULL AND counted;
-- For a whole district the planner may walk the gaps by size and filter the area instead.
CREATE INDEX unit_coverage_gaps_by_size ON unit_coverage (family, headcount DESC, seq)
    WHERE required AND mode IS NULL AND counted;
CREATE INDEX unit_coverage_unit_state ON unit_coverage (family, area_code, required, mode);

CREATE TABLE area_coverage (
    area_code            text COLLATE "C" NOT NULL,
    family               text NOT NULL,
    units                integer NOT NULL DEFAULT 0,
    required             integer NOT NULL DEFAULT 0,
    covered_required     integer NOT NULL DEFAULT 0,
    covered_not_required integer NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, family)
);
