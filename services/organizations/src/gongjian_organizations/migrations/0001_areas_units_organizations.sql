-- Area codes use the C collation so that `code LIKE '330106%'` is an index range scan.
CREATE TABLE area (
    code        text COLLATE "C" PRIMARY KEY CHECK (code ~ '^[0-9]{12}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    level       text NOT NULL CHECK (level IN ('DISTRICT', 'STREET', 'COMMUNITY')),
    parent_code text COLLATE "C" REFERENCES area (code),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX area_parent ON area (parent_code, code);

CREATE TABLE unit (
    id             uuid PRIMARY KEY,
    seq            bigserial UNIQUE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind           text NOT NULL,
    credit_code    text UNIQUE,
    area_code      text COLLATE "C" NOT NULL REFERENCES area (code),
    employees      integer NOT NULL DEFAULT 0 CHECK (employees >= 0),
    party_members  integer NOT NULL DEFAULT 0 CHECK (party_members >= 0),
    league_members integer NOT NULL DEFAULT 0 CHECK (league_members >= 0),
    union_members  integer NOT NULL DEFAULT 0 CHECK (union_members >= 0),
    women          integer NOT NULL DEFAULT 0 CHECK (women >= 0),
    youth          integer NOT NULL DEFAULT 0 CHECK (youth >= 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unit_area ON unit (area_code, seq);

CREATE TABLE organization (
    id                   uuid PRIMARY KEY,
    seq                  bigserial UNIQUE,
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind                 text NOT NULL,
    family               text NOT NULL,
    establishment        text NOT NULL CHECK (establishment IN ('STANDALONE', 'AFFILIATED', 'JOINT')),
    area_code            text COLLATE "C" NOT NULL REFERENCES area (code),
    parent_id            uuid REFERENCES organization (id),
    host_organization_id uuid REFERENCES organization (id),
    founded_on           date,
    dissolved_on         date,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organization_area ON organization (area_code, seq);
CREATE INDEX organization_parent ON organization (parent_id);

CREATE TABLE organization_unit (
    organization_id uuid NOT NULL REFERENCES organization (id),
    unit_id         uuid NOT NULL REFERENCES unit (id),
    PRIMARY KEY (organization_id, unit_id)
);
CREATE INDEX organization_unit_unit ON organization_unit (unit_id);
