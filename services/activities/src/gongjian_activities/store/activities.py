"""SQL for activities and the read model of organisations."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor, required

ACTIVITY_COLUMNS = (
    "a.id, a.seq, a.title, a.line, a.category, a.area_code, a.starts_at, a.ends_at, a.place, "
    "a.status, a.description, a.capacity, a.service_kind, a.people_served, a.summary, "
    "a.cancel_reason, a.taken, a.published_at, a.started_at, a.completed_at, a.cancelled_at, "
    "(SELECT array_agg(ao2.organization_id ORDER BY ao2.organization_id) "
    "FROM activity_organizer ao2 WHERE ao2.activity_id = a.id) AS organizer_ids"
)


async def upsert_organization_ref(
    conn: Connection,
    org_id: uuid.UUID,
    area_code: str,
    family: str,
    kind: str,
    parent_id: uuid.UUID | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO organization_ref (id, area_code, family, kind, parent_id) "
        "VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET area_code = $2, family = $3, kind = $4, parent_id = $5, "
        "dissolved_on = NULL, updated_at = now()",
        org_id,
        area_code,
        family,
        kind,
        parent_id,
    )


async def mark_organization_dissolved(
    conn: Connection, org_id: uuid.UUID, dissolved_on: date
) -> None:
    await conn.execute(
        "UPDATE organization_ref SET dissolved_on = $2, updated_at = now() WHERE id = $1",
        org_id,
        dissolved_on,
    )


async def rename_organization_ref(conn: Connection, org_id: uuid.UUID, name: str) -> None:
    await conn.execute(
        "UPDATE organization_ref SET name = $2, updated_at = now() WHERE id = $1", org_id, name
    )


async def organization_refs(
    conn: Executor, ids: list[uuid.UUID]
) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT id, area_code, dissolved_on, name, parent_id FROM organization_ref "
        "WHERE id = ANY($1::uuid[])",
        ids,
    )
    return {r["id"]: r for r in rows}


async def insert_activity(
    conn: Connection, values: dict[str, Any], organizer_ids: list[uuid.UUID]
) -> asyncpg.Record:
    """Insert an activity and its organisers in one statement."""
    return required(
        await conn.fetchrow(
            "WITH a AS (INSERT INTO activity (id, title, line, category, area_code, starts_at, "
            "  ends_at, place, created_by, description, capacity, service_kind) "
            "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $12, $13) RETURNING *), "
            "o AS (INSERT INTO activity_organizer (activity_id, organization_id) "
            "  SELECT a.id, unnest($10::uuid[]) FROM a RETURNING organization_id) "
            "SELECT a.*, "
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
            values.get("description"),
            values.get("capacity"),
            values.get("service_kind"),
        )
    )


async def activity_for_update(conn: Connection, activity_id: uuid.UUID) -> asyncpg.Record | None:
    """The activity, its row locked for this transaction (status changes, places taken)."""
    return await conn.fetchrow(
        f"SELECT {ACTIVITY_COLUMNS}, a.checkin_secret FROM activity a WHERE a.id = $1 "
        "FOR UPDATE OF a",
        activity_id,
    )


async def activity_secret(conn: Executor, activity_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ACTIVITY_COLUMNS}, a.checkin_secret FROM activity a WHERE a.id = $1",
        activity_id,
    )


UPDATABLE = (
    "title",
    "line",
    "category",
    "service_kind",
    "starts_at",
    "ends_at",
    "place",
    "description",
    "capacity",
    "status",
    "people_served",
    "summary",
    "cancel_reason",
    "published_at",
    "started_at",
    "completed_at",
    "cancelled_at",
    "taken",
)


async def update_activity(
    conn: Connection, activity_id: uuid.UUID, changes: dict[str, Any]
) -> asyncpg.Record:
    """Set the given columns (names from UPDATABLE only) and return the activity."""
    names = [n for n in changes if n in UPDATABLE]
    if len(names) != len(changes):
        raise ValueError(f"not updatable: {set(changes) - set(names)}")
    sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
    await conn.execute(
        f"UPDATE activity SET {sets} WHERE id = $1", activity_id, *(changes[n] for n in names)
    )
    return required(
        await conn.fetchrow(
            f"SELECT {ACTIVITY_COLUMNS} FROM activity a WHERE a.id = $1", activity_id
        )
    )


# Activities organised by one of the organisations in the parameter (an ORG_ADMIN's reach).
ORGANISED_BY = (
    "EXISTS (SELECT 1 FROM activity_organizer ob WHERE ob.activity_id = a.id "
    "AND ob.organization_id = ANY({orgs}::uuid[]))"
)


@dataclass(frozen=True)
class ActivityFilter:
    """What a list of activities asks for; ``organised_by``: an ORG_ADMIN's organisations."""

    area_like: str
    line: str | None = None
    category: str | None = None
    status: str | None = None
    organizer_id: uuid.UUID | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    organised_by: list[uuid.UUID] | None = None

    def where(self, first_param: int) -> tuple[str, list[Any]]:
        values: list[Any] = [
            self.area_like,
            self.line,
            self.category,
            self.status,
            self.organizer_id,
            self.starts_from,
            self.starts_before,
            self.organised_by,
        ]
        p = [f"${first_param + i}" for i in range(len(values))]
        sql = (
            f"a.area_code LIKE {p[0]} AND ({p[1]}::text IS NULL OR a.line = {p[1]}) "
            f"AND ({p[2]}::text IS NULL OR a.category = {p[2]}) "
            f"AND ({p[3]}::text IS NULL OR a.status = {p[3]}) "
            f"AND ({p[4]}::uuid IS NULL OR EXISTS (SELECT 1 FROM activity_organizer f "
            f"  WHERE f.activity_id = a.id AND f.organization_id = {p[4]})) "
            f"AND ({p[5]}::timestamptz IS NULL OR a.starts_at >= {p[5]}) "
            f"AND ({p[6]}::timestamptz IS NULL OR a.starts_at < {p[6]}) "
            f"AND ({p[7]}::uuid[] IS NULL OR {ORGANISED_BY.format(orgs=p[7] + '::uuid[]')})"
        )
        return sql, values


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def newest_position(row: asyncpg.Record) -> tuple[int, int]:
    """A keyset position in newest-first order: the start in microseconds, then the seq."""
    starts_at: datetime = row["starts_at"]
    return ((starts_at - EPOCH) // MICROSECOND, int(row["seq"]))


async def activities_page(
    conn: Executor, filters: ActivityFilter, after: tuple[int, ...] | None, limit: int
) -> list[asyncpg.Record]:
    """A page of activities, newest first (by start, then by insertion)."""
    where, values = filters.where(4)
    after_at = EPOCH + after[0] * MICROSECOND if after is not None else None
    return await conn.fetch(
        f"SELECT {ACTIVITY_COLUMNS} FROM activity a WHERE {where} "
        "AND ($1::timestamptz IS NULL OR (a.starts_at, a.seq) < ($1, $2)) "
        "ORDER BY a.starts_at DESC, a.seq DESC LIMIT $3",
        after_at,
        after[1] if after is not None else 0,
        limit,
        *values,
    )


async def count_activities(conn: Executor, filters: ActivityFilter) -> int:
    where, values = filters.where(1)
    return int(await conn.fetchval(f"SELECT count(*) FROM activity a WHERE {where}", *values))


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
