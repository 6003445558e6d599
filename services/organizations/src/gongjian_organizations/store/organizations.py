"""SQL for organisations."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from gongjian_kit.db import Connection, Executor, required

ORG_COLUMNS = (
    "id, seq, name, kind, family, establishment, area_code, parent_id, "
    "host_organization_id, founded_on, dissolved_on"
)


async def organizations_by_id(
    conn: Executor,
    ids: list[uuid.UUID],
    scope_like: str,
    only_ids: list[uuid.UUID] | None = None,
) -> list[asyncpg.Record | None]:
    """Organisations in the keys' order (None where missing or outside the scope: the area, and
    ``only_ids`` when the caller is limited to some organisations)."""
    rows = await conn.fetch(
        f"SELECT {ORG_COLUMNS} FROM organization WHERE id = ANY($1::uuid[]) AND area_code LIKE $2 "
        "AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[]))",
        ids,
        scope_like,
        only_ids,
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def organizations_page(
    conn: Executor,
    area_like: str,
    after: int | None,
    limit: int,
    only_ids: list[uuid.UUID] | None = None,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {ORG_COLUMNS} FROM organization WHERE area_code LIKE $1 AND seq > $2 "
        "AND ($4::uuid[] IS NULL OR id = ANY($4::uuid[])) ORDER BY seq LIMIT $3",
        area_like,
        after or 0,
        limit,
        only_ids,
    )


async def count_organizations(
    conn: Executor, area_like: str, only_ids: list[uuid.UUID] | None = None
) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM organization WHERE area_code LIKE $1 "
            "AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))",
            area_like,
            only_ids,
        )
    )


async def insert_organization(
    conn: Connection,
    *,
    name: str,
    kind: str,
    family: str,
    establishment: str,
    area_code: str,
    parent_id: uuid.UUID | None,
    host_organization_id: uuid.UUID | None,
    founded_on: date | None,
    unit_ids: list[uuid.UUID],
) -> asyncpg.Record:
    row = required(
        await conn.fetchrow(
            "INSERT INTO organization (id, name, kind, family, establishment, area_code, "
            "parent_id, host_organization_id, founded_on) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            f"RETURNING {ORG_COLUMNS}",
            uuid.uuid4(),
            name,
            kind,
            family,
            establishment,
            area_code,
            parent_id,
            host_organization_id,
            founded_on,
        )
    )
    await conn.executemany(
        "INSERT INTO organization_unit (organization_id, unit_id) VALUES ($1, $2)",
        [(row["id"], u) for u in unit_ids],
    )
    return row


async def active_children_count(conn: Connection, org_id: uuid.UUID) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM organization WHERE parent_id = $1 AND dissolved_on IS NULL",
            org_id,
        )
    )


async def lock_organization(
    conn: Connection, org_id: uuid.UUID, scope_like: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ORG_COLUMNS} FROM organization WHERE id = $1 AND area_code LIKE $2 FOR UPDATE",
        org_id,
        scope_like,
    )


async def mark_dissolved(conn: Connection, org_id: uuid.UUID, dissolved_on: date) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            f"UPDATE organization SET dissolved_on = $2 WHERE id = $1 RETURNING {ORG_COLUMNS}",
            org_id,
            dissolved_on,
        )
    )


async def rename_organization(
    conn: Connection, org_id: uuid.UUID, name: str, scope_like: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"UPDATE organization SET name = $2 WHERE id = $1 AND area_code LIKE $3 "
        f"RETURNING {ORG_COLUMNS}",
        org_id,
        name,
        scope_like,
    )


async def reestablish(conn: Connection, org_id: uuid.UUID, founded_on: date) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            f"UPDATE organization SET dissolved_on = NULL, founded_on = $2 WHERE id = $1 "
            f"RETURNING {ORG_COLUMNS}",
            org_id,
            founded_on,
        )
    )


async def unit_ids_of(conn: Connection, org_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT unit_id FROM organization_unit WHERE organization_id = $1", org_id
    )
    return [r["unit_id"] for r in rows]
