-- District statistics (issue 11, item 3): coalesced publishing and monthly snapshots.

-- Areas whose figures moved and are not published yet. A consumer's transaction marks the
-- areas it moved (locking the mark, so the publisher skips it until that commits); the
-- publisher (publisher.py, polling every STATS_POLL_INTERVAL_S) takes the marks of areas not
-- published in the last STATS_PUBLISH_INTERVAL_S with FOR UPDATE SKIP LOCKED, publishes each
-- area's current row once and deletes the marks, in one transaction: an isolated change goes
-- out at once, a burst at most once per area per interval, the last state always delivered.
CREATE TABLE stats_dirty (
    area_code text COLLATE "C" PRIMARY KEY,
    since     timestamptz NOT NULL DEFAULT now()   -- the first unpublished change
);
-- When each area was last published (the publisher's rate limit per area).
CREATE TABLE stats_published (
    area_code    text COLLATE "C" PRIMARY KEY,
    published_at timestamptz NOT NULL
);

-- Each area's figures as they stood at the end of each month (the current month: as they stand
-- now), written by the publisher with every area it publishes: the published figures (the
-- area-stats event's data, counts and sums only), so columns added to area_stats later need no
-- change here.
CREATE TABLE area_stats_month (
    area_code  text COLLATE "C" NOT NULL,
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    figures    jsonb NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (area_code, month)
);

-- Coverage per family (覆盖率), from the organizations topic's coverage.changed: each unit's
-- last state per family, and per area (with everything beneath it) how many units must have
-- the family's organisation and how many do (moved by the difference of a unit's states).
CREATE TABLE coverage_state (
    unit_id   uuid NOT NULL,
    family    text NOT NULL,
    area_code text COLLATE "C" NOT NULL,
    required  boolean NOT NULL,
    covered   boolean NOT NULL,
    PRIMARY KEY (unit_id, family)
);
CREATE TABLE area_coverage (
    area_code text COLLATE "C" NOT NULL,
    family    text NOT NULL,
    required  integer NOT NULL DEFAULT 0,
    covered   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (area_code, family)
);
