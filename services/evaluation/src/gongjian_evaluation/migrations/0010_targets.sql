-- Targets (目标管理): a metric of the catalogue for an organisation or an area, a target value to
-- reach between period_from and the deadline; progress is measured live from the evidence
-- ledger. behind/value/checked_at: the last check's state (the background check marks a target
-- falling behind or catching up once, raising its event).
CREATE TABLE target (
    id              uuid PRIMARY KEY,
    seq             bigserial UNIQUE,
    subject_kind    text NOT NULL CHECK (subject_kind IN ('ORGANIZATION', 'AREA')),
    organization_id uuid,
    area_code       text COLLATE "C" NOT NULL,    -- the area, or the organisation's area
    subject_key     text NOT NULL,                -- the organisation's id or the area's code
    cycle_id        uuid REFERENCES cycle (id),
    metric          text NOT NULL,
    target          numeric(16, 4) NOT NULL CHECK (target >= 0),
    period_from     date NOT NULL,
    deadline        date NOT NULL CHECK (deadline >= period_from),
    behind          boolean NOT NULL DEFAULT false,
    value           numeric(16, 4),
    checked_at      timestamptz,
    set_by          text NOT NULL,
    set_at          timestamptz NOT NULL,
    CHECK ((subject_kind = 'ORGANIZATION') = (organization_id IS NOT NULL))
);
-- One target per subject, metric and cycle (or none): setting it again replaces it.
CREATE UNIQUE INDEX target_one ON target
    (subject_key, metric, coalesce(cycle_id, '00000000-0000-0000-0000-000000000000'::uuid));
CREATE INDEX target_area ON target (area_code COLLATE "C" text_pattern_ops, seq);
CREATE INDEX target_due ON target (deadline, checked_at);
