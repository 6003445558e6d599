-- The overdue lists count pending cases with an index-only scan, which is only fast while the
-- table's pages are marked all-visible; every status change clears the mark on the page of a
-- pending case. Vacuum this table sooner than the default 20 % of its rows (bench/cases_overdue.py:
-- the district's count took 11.7 ms instead of 1.4 ms with most pages unmarked).
ALTER TABLE service_case SET (
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02
);
