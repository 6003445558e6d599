-- Which thresholds the maintained coverage was computed with; a change triggers a rebuild.
CREATE TABLE coverage_rules (
    id          integer PRIMARY KEY CHECK (id = 1),
    fingerprint text NOT NULL,
    rebuilt_at  timestamptz NOT NULL
);
