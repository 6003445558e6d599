-- Activities per line of work (条线) per area, kept by the activity consumer like area_stats (an
-- activity counts in its area and every one above it until it is cancelled) instead of counted
-- from the evidence ledger on every read: at district scale that count read 400k ledger rows
-- per dashboard (bench/dashboard.py).
ALTER TABLE activity_state ADD COLUMN line text NOT NULL DEFAULT '';

UPDATE activity_state s SET line = coalesce(e.attrs->>'line', '')
FROM evidence e
WHERE e.source_kind = 'ACTIVITY' AND e.source_id = s.activity_id AND e.attrs ? 'line';

CREATE TABLE area_line_stats (
    area_code  text COLLATE "C" NOT NULL,
    line       text NOT NULL,          -- '' for an activity whose line was never told
    activities integer NOT NULL DEFAULT 0,  -- no CHECK: an upsert checks the proposed -1 row
    PRIMARY KEY (area_code, line)
);

INSERT INTO area_line_stats (area_code, line, activities)
SELECT up.code, s.line, count(*)
FROM activity_state s
CROSS JOIN LATERAL (
    SELECT DISTINCT code FROM unnest(ARRAY[
        s.area_code, left(s.area_code, 9) || '000', left(s.area_code, 6) || '000000']) AS code
) AS up
WHERE s.status <> 'CANCELLED'
GROUP BY up.code, s.line;
