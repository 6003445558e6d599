-- Read models kept current from the organizations and activities topics.
CREATE TABLE organization_ref (
    id           uuid PRIMARY KEY,
    area_code    text COLLATE "C" NOT NULL,
    family       text NOT NULL,
    dissolved_on date
);

CREATE TABLE organization_activity_summary (
    organization_id  uuid PRIMARY KEY,
    activity_count   integer NOT NULL DEFAULT 0,
    last_activity_at timestamptz
);

-- One row per area, holding the figures of the area and everything beneath it.
CREATE TABLE area_stats (
    area_code          text COLLATE "C" PRIMARY KEY,
    organization_count integer NOT NULL DEFAULT 0,
    activity_count     integer NOT NULL DEFAULT 0,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
