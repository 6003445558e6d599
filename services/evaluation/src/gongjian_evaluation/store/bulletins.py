"""SQL of bulletins: an area's figures over a period from the evidence ledger, and the bulletins
kept (``bulletin``). ``$1`` is always the area's LIKE pattern (``area_prefix(code) || '%'``)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from gongjian_kit.db import Executor, required

RESOLVED = "status IN ('RESOLVED', 'CLOSED')"
PENDING_CASE = "status IN ('OPEN', 'ACCEPTED', 'IN_PROGRESS')"

FIGURES = f"""
SELECT
  count(*) FILTER (WHERE source_kind = 'ACTIVITY' AND status = 'COMPLETED')
    AS "completedActivities",
  coalesce(sum((attrs->>'peopleServed')::bigint)
    FILTER (WHERE source_kind = 'ACTIVITY' AND status = 'COMPLETED'), 0) AS "peopleServed",
  coalesce(sum(hours) FILTER (WHERE source_kind = 'HOURS' AND hours > 0), 0) AS "volunteerHours",
  count(*) FILTER (WHERE source_kind = 'CASE') AS "casesOpened",
  count(*) FILTER (WHERE source_kind = 'CASE' AND {RESOLVED}) AS "casesResolved",
  count(*) FILTER (WHERE source_kind = 'CASE' AND {RESOLVED} AND on_time) AS "casesResolvedOnTime",
  round(avg(satisfaction) FILTER (WHERE source_kind = 'CASE' AND status = 'CLOSED'), 2)
    AS "satisfactionAverage",
  count(*) FILTER (WHERE source_kind = 'PLEDGE') AS "pledgesMade",
  count(*) FILTER (WHERE source_kind = 'PLEDGE' AND status = 'FULFILLED') AS "pledgesFulfilled",
  count(*) FILTER (WHERE source_kind = 'DECISION') AS "decisionsMade",
  count(*) FILTER (WHERE source_kind = 'DECISION' AND status = 'DONE') AS "decisionsDone"
FROM evidence
WHERE source_kind IN ('ACTIVITY', 'HOURS', 'CASE', 'PLEDGE', 'DECISION')
  AND occurred_on BETWEEN $2 AND $3 AND area_code LIKE $1
"""


async def figures(conn: Executor, like: str, start: date, end: date) -> dict[str, Any]:
    """The headline figures of the area's ledger rows placed in ``start``..``end``."""
    return dict(required(await conn.fetchrow(FIGURES, like, start, end)))


# Completed activities by line of work in both periods ($2..$3 this one, $4..$5 the previous);
# people served and the hours served at them (this period).
LINES = """
WITH a AS (
  SELECT source_id, coalesce(attrs->>'line', 'NONE') AS line, occurred_on,
         coalesce((attrs->>'peopleServed')::bigint, 0) AS served
  FROM evidence
  WHERE source_kind = 'ACTIVITY' AND status = 'COMPLETED' AND area_code LIKE $1
    AND (occurred_on BETWEEN $2 AND $3 OR occurred_on BETWEEN $4 AND $5)
)
SELECT a.line,
  count(*) FILTER (WHERE a.occurred_on BETWEEN $2 AND $3) AS completed,
  count(*) FILTER (WHERE a.occurred_on BETWEEN $4 AND $5) AS previous,
  coalesce(sum(a.served) FILTER (WHERE a.occurred_on BETWEEN $2 AND $3), 0) AS people_served,
  coalesce(sum((SELECT sum(h.hours) FROM evidence h WHERE h.source_kind = 'HOURS'
      AND h.parent_id = a.source_id AND h.hours > 0 AND h.occurred_on BETWEEN $2 AND $3))
    FILTER (WHERE a.occurred_on BETWEEN $2 AND $3), 0) AS volunteer_hours
FROM a GROUP BY a.line
"""


async def lines(
    conn: Executor, like: str, period: tuple[date, date], previous: tuple[date, date]
) -> list[asyncpg.Record]:
    return list(await conn.fetch(LINES, like, *period, *previous))


MONTHS = """
SELECT to_char(occurred_on, 'YYYY-MM') AS month, count(*) AS completed
FROM evidence
WHERE source_kind = 'ACTIVITY' AND status = 'COMPLETED' AND area_code LIKE $1
  AND occurred_on BETWEEN $2 AND $3
GROUP BY 1
"""


async def months(conn: Executor, like: str, start: date, end: date) -> dict[str, int]:
    return {r["month"]: r["completed"] for r in await conn.fetch(MONTHS, like, start, end)}


# $4: how many significant digits name a sub-area (9: a district's streets; 12: a street's
# communities); a sub-area's code is those digits padded with zeros.
SUB_AREAS = """
SELECT rpad(left(area_code, $4), 12, '0') AS area_code, count(*) AS completed,
       coalesce(sum((attrs->>'peopleServed')::bigint), 0) AS people_served
FROM evidence
WHERE source_kind = 'ACTIVITY' AND status = 'COMPLETED' AND area_code LIKE $1
  AND occurred_on BETWEEN $2 AND $3
GROUP BY 1
"""


async def sub_areas(
    conn: Executor, like: str, start: date, end: date, digits: int
) -> list[asyncpg.Record]:
    return list(await conn.fetch(SUB_AREAS, like, start, end, digits))


# The sub-areas with organisations, and the families each has (organisations not dissolved).
FAMILIES = """
SELECT rpad(left(area_code, $2), 12, '0') AS area_code, array_agg(DISTINCT family) AS families
FROM organization_ref
WHERE area_code LIKE $1 AND dissolved_on IS NULL AND family IS NOT NULL
GROUP BY 1
"""


async def families(conn: Executor, like: str, digits: int) -> dict[str, set[str]]:
    return {r["area_code"]: set(r["families"]) for r in await conn.fetch(FAMILIES, like, digits)}


OVERDUE = f"""
SELECT source_kind, source_id, area_code, due_on, count(*) OVER (PARTITION BY source_kind) AS n
FROM evidence
WHERE area_code LIKE $1 AND due_on < $2 AND (
  (source_kind = 'CASE' AND {PENDING_CASE}) OR (source_kind = 'DECISION' AND status = 'OPEN'))
ORDER BY due_on, source_kind, source_id
"""


async def overdue(conn: Executor, like: str, today: date) -> list[asyncpg.Record]:
    return list(await conn.fetch(OVERDUE, like, today))


async def insert(
    conn: Executor,
    bulletin_id: uuid.UUID,
    area_code: str,
    period: tuple[date, date],
    content: dict[str, Any],
    generated_by: str,
    generated_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO bulletin (id, area_code, period_from, period_to, content, generated_by, "
        "generated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        bulletin_id,
        area_code,
        *period,
        content,  # the pool's codec writes jsonb
        generated_by,
        generated_at,
    )


async def content(conn: Executor, bulletin_id: uuid.UUID) -> dict[str, Any] | None:
    raw = await conn.fetchval("SELECT content FROM bulletin WHERE id = $1", bulletin_id)
    if raw is None:
        return None
    return raw if isinstance(raw, dict) else json.loads(raw)


async def bulletin(conn: Executor, bulletin_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, area_code, content FROM bulletin WHERE id = $1", bulletin_id
    )
