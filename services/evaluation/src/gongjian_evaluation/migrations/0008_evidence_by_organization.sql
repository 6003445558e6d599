-- One organisation's evidence of a kind (a live preview measures one assessment): the
-- organisations' index without participations and hours, which are most of the ledger (ten
-- and more per activity) and which an organisation's metrics reach through its members or
-- (member_participation_rate) through evidence_organizations. An organisation's activities,
-- cases, pledges, decisions, pairings, visits, memberships and posts are a few dozen rows on a
-- few dozen pages, where evidence_organizations gave several hundred on as many pages to read
-- and throw away (bench/evaluation_scoring.py: 573 rows, 331 pages per organisation at 20k
-- organisations over 5M participations). A query naming one of these kinds implies the
-- predicate, so the planner can use it.
CREATE INDEX evidence_organizations_counted ON evidence USING gin (organization_ids)
    WITH (fastupdate = off) WHERE source_kind NOT IN ('PARTICIPATION', 'HOURS');
