"""SQL for units."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor, required

UNIT_COLUMNS = (
    "id, seq, name, kind, credit_code, area_code, employees, party_members, "
    "league_members, union_members, women, youth"
)


async def insert_unit(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            f"INSERT INTO unit (id, name, kind, credit_code, area_code, employees, party_members, "
            f"league_members, union_members, women, youth) "
            f"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {UNIT_COLUMNS}",
            uuid.uuid4(),
            values["name"],
            values["kind"],
            values["credit_code"],
            values["area_code"],
            values["employees"],
            values["party_members"],
            values["league_members"],
            values["union_members"],
            values["women"],
            values["youth"],
        )
    )


async def unit_by_credit_code(conn: Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, name FROM unit WHERE credit_code = $1", code)


async def units_by_id(
    conn: Executor, ids: list[uuid.UUID], scope_like: str
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {UNIT_COLUMNS} FROM unit WHERE id = ANY($1::uuid[]) AND area_code LIKE $2",
        ids,
        scope_like,
    )


async def units_page(
    conn: Executor, area_like: str, after: int | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {UNIT_COLUMNS} FROM unit WHERE area_code LIKE $1 AND seq > $2 "
        "ORDER BY seq LIMIT $3",
        area_like,
        after or 0,
        limit,
    )


async def count_units(conn: Executor, area_like: str) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM unit WHERE area_code LIKE $1", area_like))


async def units_of_organizations(
    conn: Executor, org_ids: list[uuid.UUID]
) -> list[list[asyncpg.Record]]:
    """Units covered by each organisation, in the keys' order (one statement for all)."""
    rows = await conn.fetch(
        "SELECT ou.organization_id, u.* "
        "FROM organization_unit ou JOIN unit u ON u.id = ou.unit_id "
        "WHERE ou.organization_id = ANY($1::uuid[]) ORDER BY u.seq",
        org_ids,
    )
    grouped: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in org_ids}
    for row in rows:
        grouped[row["organization_id"]].append(row)
    return [grouped[i] for i in org_ids]
