-- What this service knows of organisations, learnt from the organizations topic.
CREATE TABLE organization_ref (
    id           uuid PRIMARY KEY,
    area_code    text COLLATE "C" NOT NULL,
    family       text NOT NULL,
    kind         text NOT NULL,
    dissolved_on date,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE activity (
    id          uuid PRIMARY KEY,
    seq         bigserial UNIQUE,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    line        text NOT NULL,
    category    text NOT NULL,
    area_code   text COLLATE "C" NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz,
    place       text,
    status      text NOT NULL DEFAULT 'PLANNED',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX activity_area ON activity (area_code, seq);

CREATE TABLE activity_organizer (
    activity_id     uuid NOT NULL REFERENCES activity (id),
    organization_id uuid NOT NULL,
    PRIMARY KEY (activity_id, organization_id)
);
CREATE INDEX activity_organizer_org ON activity_organizer (organization_id, activity_id);
