"""SQL for activities and the read model of organisations."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor, required

ACTIVITY_COLUMNS = (
    "a.id, a.seq, a.title, a.line, a.category, a.area_code, a.starts_at, a.ends_at, a.place, "
    "a.status, (SELECT array_agg(ao2.organization_id ORDER BY ao2.organization_id) "
    "FROM activity_organizer ao2 WHERE ao2.activity_id = a.id) AS organizer_ids"
)


async def upsert_organization_ref(
    conn: Connection, org_id: uuid.UUID, area_code: str, family: str, kind: str
) -> None:
    await conn.execute(
        "INSERT INTO organization_ref (id, area_code, family, kind) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET area_code = $2, family = $3, kind = $4, "
        "dissolved_on = NULL, updated_at = now()",
        org_id,
        area_code,
        family,
        kind,
    )


async def mark_organization_dissolved(
    conn: Connection, org_id: uuid.UUID, dissolved_on: date
) -> None:
    await conn.execute(
        "UPDATE organization_ref SET dissolved_on = $2, updated_at = now() WHERE id = $1",
        org_id,
        dissolved_on,
    )


async def organization_refs(
    conn: Executor, ids: list[uuid.UUID]
) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT id, area_code, dissolved_on FROM organization_ref WHERE id = ANY($1::uuid[])", ids
    )
    return {r["id"]: r for r in rows}


async def insert_activity(
    conn: Connection, values: dict[str, Any], organizer_ids: list[uuid.UUID]
) -> asyncpg.Record:
    """Insert an activity and its organisers in one statement."""
    return required(
        await conn.fetchrow(
            "WITH a AS (INSERT INTO activity (id, title, line, category, area_code, starts_at, "
            "  ends_at, place, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "  RETURNING *), "
            "o AS (INSERT INTO activity_organizer (activity_id, organization_id) "
            "  SELECT a.id, unnest($10::uuid[]) FROM a RETURNING organization_id) "
            "SELECT a.id, a.seq, a.title, a.line, a.category, a.area_code, a.starts_at, "
            "  a.ends_at, a.place, a.status, "
            "  (SELECT array_agg(organization_id ORDER BY organization_id) FROM o) "
            "  AS organizer_ids FROM a",
            uuid.uuid4(),
            values["title"],
            values["line"],
            values["category"],
            values["area_code"],
            values["starts_at"],
            values["ends_at"],
            values["place"],
            values["created_by"],
            organizer_ids,
        )
    )


# Activities organised by one of the organisations in the parameter (an ORG_ADMIN's reach).
ORGANISED_BY = (
    "EXISTS (SELECT 1 FROM activity_organizer ob WHERE ob.activity_id = a.id "
    "AND ob.organization_id = ANY({orgs}::uuid[]))"
)


async def activities_page(
    conn: Executor,
    area_like: str,
    after: int | None,
    limit: int,
    organised_by: list[uuid.UUID] | None = None,
) -> list[asyncpg.Record]:
    """Activities in the area; with ``organised_by``, only those these organisations organise."""
    return await conn.fetch(
        f"SELECT {ACTIVITY_COLUMNS} FROM activity a WHERE a.area_code LIKE $1 AND a.seq > $2 "
        f"AND ($4::uuid[] IS NULL OR {ORGANISED_BY.format(orgs='$4')}) ORDER BY a.seq LIMIT $3",
        area_like,
        after or 0,
        limit,
        organised_by,
    )


async def count_activities(
    conn: Executor, area_like: str, organised_by: list[uuid.UUID] | None = None
) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM activity a WHERE a.area_code LIKE $1 "
            f"AND ($2::uuid[] IS NULL OR {ORGANISED_BY.format(orgs='$2')})",
            area_like,
            organised_by,
        )
    )


async def activities_by_id(
    conn: Executor,
    ids: list[uuid.UUID],
    scope_like: str,
    organised_by: list[uuid.UUID] | None = None,
) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(
        f"SELECT {ACTIVITY_COLUMNS} FROM activity a WHERE a.id = ANY($1::uuid[]) "
        f"AND a.area_code LIKE $2 AND ($3::uuid[] IS NULL OR {ORGANISED_BY.format(orgs='$3')})",
        ids,
        scope_like,
        organised_by,
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def activities_of_organizations(
    conn: Executor,
    org_ids: list[uuid.UUID],
    scope_like: str,
    after: int | None,
    limit: int,
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    """Up to ``limit`` activities per organisation after a position, newest first, one statement."""
    rows = await conn.fetch(
        "SELECT o.organization_id, a.* "
        "FROM unnest($1::uuid[]) AS o(organization_id) "
        "CROSS JOIN LATERAL ("
        f"  SELECT {ACTIVITY_COLUMNS} FROM activity_organizer ao JOIN activity a "
        "   ON a.id = ao.activity_id WHERE ao.organization_id = o.organization_id "
        "   AND a.area_code LIKE $2 AND ($3::bigint IS NULL OR a.seq < $3) "
        "   ORDER BY a.seq DESC LIMIT $4) a",
        org_ids,
        scope_like,
        after,
        limit,
    )
    grouped: dict[uuid.UUID, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        grouped[row["organization_id"]].append(row)
    return grouped


async def count_activities_of_organizations(
    conn: Executor, org_ids: list[uuid.UUID], scope_like: str
) -> dict[uuid.UUID, int]:
    rows = await conn.fetch(
        "SELECT ao.organization_id, count(*) AS n FROM activity_organizer ao "
        "JOIN activity a ON a.id = ao.activity_id "
        "WHERE ao.organization_id = ANY($1::uuid[]) AND a.area_code LIKE $2 "
        "GROUP BY ao.organization_id",
        org_ids,
        scope_like,
    )
    return {r["organization_id"]: r["n"] for r in rows}
