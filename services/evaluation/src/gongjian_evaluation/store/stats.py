"""SQL for the evaluation read models and area statistics."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from gongjian_kit.db import Connection, Executor

STATS_COLUMNS = "area_code, organization_count, activity_count, updated_at"


async def set_organization_state(
    conn: Connection, org_id: uuid.UUID, area_code: str, family: str, dissolved_on: date | None
) -> tuple[str | None, str | None]:
    """Record an organisation's state; return (area it was counted in, area it counts in now).

    Counters follow real state changes only: establishing an organisation already active, or
    dissolving one already dissolved (a redelivery, a replay), moves no figure.
    """
    before = await conn.fetchrow(
        "SELECT area_code, dissolved_on FROM organization_ref WHERE id = $1 FOR UPDATE", org_id
    )
    await conn.execute(
        "INSERT INTO organization_ref (id, area_code, family, dissolved_on) "
        "VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET area_code = $2, family = $3, dissolved_on = $4",
        org_id,
        area_code,
        family,
        dissolved_on,
    )
    was = before["area_code"] if before is not None and before["dissolved_on"] is None else None
    now = area_code if dissolved_on is None else None
    return was, now


async def add_to_area_stats(
    conn: Connection, area_codes: list[str], *, organizations: int = 0, activities: int = 0
) -> list[asyncpg.Record]:
    """Add to the figures of each area (an area and its ancestors); return the new rows."""
    return await conn.fetch(
        "INSERT INTO area_stats AS s (area_code, organization_count, activity_count) "
        "SELECT code, $2, $3 FROM unnest($1::text[]) AS code "
        "ON CONFLICT (area_code) DO UPDATE SET "
        "  organization_count = s.organization_count + $2, "
        "  activity_count = s.activity_count + $3, updated_at = now() "
        f"RETURNING {STATS_COLUMNS}",
        area_codes,
        organizations,
        activities,
    )


async def record_activity(conn: Connection, org_ids: list[uuid.UUID], starts_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO organization_activity_summary AS s "
        "  (organization_id, activity_count, last_activity_at) "
        "SELECT id, 1, $2 FROM unnest($1::uuid[]) AS id "
        "ON CONFLICT (organization_id) DO UPDATE SET activity_count = s.activity_count + 1, "
        "  last_activity_at = greatest(s.last_activity_at, $2)",
        org_ids,
        starts_at,
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
        "SELECT r.id, coalesce(s.activity_count, 0) AS activity_count, s.last_activity_at "
        "FROM organization_ref r LEFT JOIN organization_activity_summary s "
        "  ON s.organization_id = r.id "
        "WHERE r.id = ANY($1::uuid[]) AND r.area_code LIKE $2",
        org_ids,
        scope_like,
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in org_ids]
