-- Pairings (结对) and their visits (走访); a visit's problem may open a case (service_case).

CREATE TABLE pairing (
    id               uuid PRIMARY KEY,
    seq              bigserial UNIQUE,
    kind             text NOT NULL CHECK (kind IN ('ORG_ORG', 'CADRE_HOUSEHOLD', 'URBAN_RURAL',
                         'LEADER_CONTACT_POINT', 'GUIDANCE_GROUP', 'RESPONSIBILITY_UNIT')),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    area_code        text COLLATE "C" NOT NULL,       -- where it is counted
    starts_on        date NOT NULL,
    ends_on          date,
    goals            text CHECK (length(goals) <= 2000),
    status           text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'ENDED')),
    -- The organisation parties (also in pairing_party): an ORG_ADMIN's reach, and the events.
    organization_ids uuid[] NOT NULL DEFAULT '{}',
    party_count      integer NOT NULL CHECK (party_count BETWEEN 2 AND 20),
    visit_count      integer NOT NULL DEFAULT 0,
    last_visit_on    date,
    ended_on         date,
    end_reason       text CHECK (length(end_reason) <= 500),
    ended_at         timestamptz,
    ended_by         text,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on IS NULL OR ends_on > starts_on),
    CHECK ((status = 'ENDED') = (ended_on IS NOT NULL))
);
-- Lists newest first, in an area and beneath it.
CREATE INDEX pairing_area ON pairing (area_code, seq DESC);
-- An ORG_ADMIN's pairings: those where one of its organisations is a party.
CREATE INDEX pairing_orgs ON pairing USING gin (organization_ids);
-- Active pairings by the day their quiet spell began (pairingsWithoutVisit).
CREATE INDEX pairing_quiet ON pairing ((coalesce(last_visit_on, starts_on)), seq)
    INCLUDE (area_code) WHERE status = 'ACTIVE';

CREATE TABLE pairing_party (
    pairing_id uuid NOT NULL REFERENCES pairing (id),
    position   smallint NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('ORGANIZATION', 'PERSON', 'UNIT', 'AREA')),
    ref_id     uuid,                                  -- ORGANIZATION, PERSON, UNIT
    area_code  text COLLATE "C",                      -- AREA
    role       text CHECK (length(role) <= 50),
    PRIMARY KEY (pairing_id, position),
    CHECK ((kind = 'AREA') = (area_code IS NOT NULL AND ref_id IS NULL))
);
CREATE INDEX pairing_party_ref ON pairing_party (ref_id) WHERE ref_id IS NOT NULL;

CREATE TABLE visit (
    id          uuid PRIMARY KEY,
    seq         bigserial UNIQUE,
    pairing_id  uuid NOT NULL REFERENCES pairing (id),
    visited_on  date NOT NULL,
    visitor_ids uuid[] NOT NULL CHECK (cardinality(visitor_ids) BETWEEN 1 AND 20),
    notes       text CHECK (length(notes) <= 5000),
    problem_count integer NOT NULL DEFAULT 0,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- A pairing's visits, newest first.
CREATE INDEX visit_pairing ON visit (pairing_id, visited_on DESC, seq DESC);

CREATE TABLE visit_problem (
    visit_id    uuid NOT NULL REFERENCES visit (id),
    position    smallint NOT NULL,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text CHECK (length(description) <= 5000),
    case_id     uuid REFERENCES service_case (id),    -- the case it opened, if any
    PRIMARY KEY (visit_id, position)
);

-- The case desk's link back: a case opened by a visit names it (and its pairing). The visit's
-- row is written after its cases in the same transaction, so the check waits for the commit.
ALTER TABLE service_case
    ADD CONSTRAINT service_case_visit_fk FOREIGN KEY (visit_id) REFERENCES visit (id)
        DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT service_case_pairing_fk FOREIGN KEY (pairing_id) REFERENCES pairing (id)
        DEFERRABLE INITIALLY DEFERRED;
