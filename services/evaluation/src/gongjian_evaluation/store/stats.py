"""SQL for the figures: per area (with everything beneath it) and per organisation."""

from __future__ import annotations

import uuid

import asyncpg

from gongjian_evaluation.domain.figures import Figures
from gongjian_kit.db import Connection, Executor

STATS_COLUMNS = (
    "area_code, organization_count, activity_count, completed_activity_count, people_served, "
    "checked_in_count, volunteer_count, volunteer_hours, updated_at"
)


async def move_area_stats(conn: Connection, moves: dict[str, Figures]) -> list[asyncpg.Record]:
    """Move the figures of each area by its change; return the areas' new rows.

    One statement locks the rows in the order of ``moves`` (sorted by the caller, see
    ``domain.figures.Moves``), so replicas moving overlapping areas never deadlock here.
    """
    if not moves:
        return []
    codes = list(moves)
    changes = list(moves.values())
    return await conn.fetch(
        "INSERT INTO area_stats AS s (area_code, organization_count, activity_count, "
        "  completed_activity_count, people_served, checked_in_count, volunteer_count, "
        "  volunteer_hours) "
        "SELECT c, o, a, d, p, i, v, h "
        "FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::bigint[], $6::int[], "
        "  $7::int[], $8::numeric[]) WITH ORDINALITY AS x(c, o, a, d, p, i, v, h, n) "
        "ORDER BY n "
        "ON CONFLICT (area_code) DO UPDATE SET "
        "  organization_count = s.organization_count + excluded.organization_count, "
        "  activity_count = s.activity_count + excluded.activity_count, "
        "  completed_activity_count = "
        "    s.completed_activity_count + excluded.completed_activity_count, "
        "  people_served = s.people_served + excluded.people_served, "
        "  checked_in_count = s.checked_in_count + excluded.checked_in_count, "
        "  volunteer_count = s.volunteer_count + excluded.volunteer_count, "
        "  volunteer_hours = s.volunteer_hours + excluded.volunteer_hours, "
        "  updated_at = now() "
        f"RETURNING {STATS_COLUMNS}",
        codes,
        [f.organizations for f in changes],
        [f.activities for f in changes],
        [f.completed_activities for f in changes],
        [f.people_served for f in changes],
        [f.checked_in for f in changes],
        [f.volunteers for f in changes],
        [f.volunteer_hours for f in changes],
    )


async def move_organization_summaries(
    conn: Connection, moves: dict[uuid.UUID, Figures], *, refresh_last_activity: bool = False
) -> None:
    """Move each organisation's figures by its change (rows locked in the order of ``moves``).

    ``refresh_last_activity``: also read each one's latest activity again from the activity
    states (after an activity's start, status or organisers changed).
    """
    if not moves:
        return
    changes = list(moves.values())
    await conn.execute(
        "INSERT INTO organization_activity_summary AS s (organization_id, activity_count, "
        "  completed_count, people_served, volunteer_hours, last_activity_at) "
        "SELECT o, a, d, p, h, CASE WHEN $6 THEN ("
        "    SELECT max(st.starts_at) FROM activity_state st "
        "    WHERE st.organizer_ids @> ARRAY[o] AND st.status <> 'CANCELLED') END "
        "FROM unnest($1::uuid[], $2::int[], $3::int[], $4::bigint[], $5::numeric[]) "
        "  WITH ORDINALITY AS x(o, a, d, p, h, n) "
        "ORDER BY n "
        "ON CONFLICT (organization_id) DO UPDATE SET "
        "  activity_count = s.activity_count + excluded.activity_count, "
        "  completed_count = s.completed_count + excluded.completed_count, "
        "  people_served = s.people_served + excluded.people_served, "
        "  volunteer_hours = s.volunteer_hours + excluded.volunteer_hours, "
        "  last_activity_at = CASE WHEN $6 THEN excluded.last_activity_at "
        "    ELSE s.last_activity_at END",
        list(moves),
        [f.activities for f in changes],
        [f.completed_activities for f in changes],
        [f.people_served for f in changes],
        [f.volunteer_hours for f in changes],
        refresh_last_activity,
    )


async def area_stats(conn: Executor, codes: list[str]) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(
        f"SELECT {STATS_COLUMNS} FROM area_stats WHERE area_code = ANY($1::text[])", codes
    )
    found = {r["area_code"]: r for r in rows}
    return [found.get(c) for c in codes]


async def activity_summaries(
    conn: Executor, org_ids: list[uuid.UUID], scope_like: str
) -> list[asyncpg.Record | None]:
    """Summaries in the keys' order; None for organisations outside the scope."""
    rows = await conn.fetch(
        "SELECT r.id, coalesce(s.activity_count, 0) AS activity_count, "
        "  coalesce(s.completed_count, 0) AS completed_count, "
        "  coalesce(s.people_served, 0) AS people_served, "
        "  coalesce(s.volunteer_hours, 0) AS volunteer_hours, s.last_activity_at "
        "FROM organization_ref r LEFT JOIN organization_activity_summary s "
        "  ON s.organization_id = r.id "
        "WHERE r.id = ANY($1::uuid[]) AND r.area_code LIKE $2",
        org_ids,
        scope_like,
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in org_ids]
