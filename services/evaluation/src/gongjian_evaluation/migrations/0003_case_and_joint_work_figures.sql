-- Figures of the case desk (诉求) and joint work: pairings and visits, pledges, joint meetings'
-- decisions, ventures. As in 0002, each subject's last state is kept and the figures move by the
-- difference between the old state and the new one.

ALTER TABLE area_stats
    ADD COLUMN cases_opened            integer NOT NULL DEFAULT 0,
    ADD COLUMN cases_resolved          integer NOT NULL DEFAULT 0,
    ADD COLUMN cases_resolved_on_time  integer NOT NULL DEFAULT 0,
    ADD COLUMN cases_closed            integer NOT NULL DEFAULT 0,
    ADD COLUMN satisfaction_count      integer NOT NULL DEFAULT 0,
    ADD COLUMN satisfaction_sum        bigint NOT NULL DEFAULT 0,
    ADD COLUMN cases_overdue_escalated integer NOT NULL DEFAULT 0,
    ADD COLUMN pairings_active         integer NOT NULL DEFAULT 0,
    ADD COLUMN visits                  integer NOT NULL DEFAULT 0,
    ADD COLUMN pledges_made            integer NOT NULL DEFAULT 0,
    ADD COLUMN pledges_fulfilled       integer NOT NULL DEFAULT 0,
    ADD COLUMN pledges_lapsed          integer NOT NULL DEFAULT 0,
    ADD COLUMN decisions_made          integer NOT NULL DEFAULT 0,
    ADD COLUMN decisions_done          integer NOT NULL DEFAULT 0,
    ADD COLUMN decisions_overdue       integer NOT NULL DEFAULT 0,
    ADD COLUMN ventures                integer NOT NULL DEFAULT 0,
    ADD COLUMN venture_jobs            bigint NOT NULL DEFAULT 0,
    ADD COLUMN venture_people_led      bigint NOT NULL DEFAULT 0;

-- Cases per the organisation handling them now (a transfer moves the case to its new handler).
CREATE TABLE organization_case_summary (
    organization_id        uuid PRIMARY KEY,
    cases_opened           integer NOT NULL DEFAULT 0,
    cases_resolved         integer NOT NULL DEFAULT 0,
    cases_resolved_on_time integer NOT NULL DEFAULT 0,
    satisfaction_count     integer NOT NULL DEFAULT 0,
    satisfaction_sum       bigint NOT NULL DEFAULT 0
);

-- One row per case: where and by whom it counts, and how (the countable state of its last event).
CREATE TABLE case_state (
    case_id         uuid PRIMARY KEY,
    area_code       text COLLATE "C" NOT NULL,
    organization_id uuid NOT NULL,
    status          text NOT NULL
        CHECK (status IN ('OPEN', 'ACCEPTED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED')),
    escalated       boolean NOT NULL,
    on_time         boolean,
    satisfaction    smallint CHECK (satisfaction BETWEEN 1 AND 5)
);

CREATE TABLE pairing_state (
    pairing_id uuid PRIMARY KEY,
    area_code  text COLLATE "C" NOT NULL,
    active     boolean NOT NULL
);

-- A visit is counted once: its row says it was.
CREATE TABLE visit_seen (
    visit_id  uuid PRIMARY KEY,
    area_code text COLLATE "C" NOT NULL
);

CREATE TABLE pledge_state (
    pledge_id uuid PRIMARY KEY,
    area_code text COLLATE "C" NOT NULL,
    status    text NOT NULL CHECK (status IN ('MADE', 'FULFILLED', 'LAPSED'))
);

CREATE TABLE decision_state (
    decision_id uuid PRIMARY KEY,
    area_code   text COLLATE "C" NOT NULL,
    status      text NOT NULL CHECK (status IN ('OPEN', 'DONE', 'DROPPED')),
    overdue     boolean NOT NULL
);

CREATE TABLE venture_state (
    venture_id      uuid PRIMARY KEY,
    area_code       text COLLATE "C" NOT NULL,
    people_employed integer NOT NULL CHECK (people_employed >= 0),
    people_led      integer NOT NULL CHECK (people_led >= 0),
    as_of           date NOT NULL
);
