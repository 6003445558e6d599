"""SQL for units."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor, required

UNIT_COLUMNS = (
    "id, seq, name, kind, credit_code, area_code, employees, party_members, "
    "league_members, union_members, women, youth, closed_on"
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
    return await conn.fetchrow("SELECT id, name, area_code FROM unit WHERE credit_code = $1", code)


# Units covered by one of the organisations in the parameter (an ORG_ADMIN's reach).
COVERED_BY = (
    "EXISTS (SELECT 1 FROM organization_unit cov WHERE cov.unit_id = {unit} "
    "AND cov.organization_id = ANY({orgs}::uuid[]))"
)


async def units_by_id(
    conn: Executor,
    ids: list[uuid.UUID],
    scope_like: str,
    covered_by: list[uuid.UUID] | None = None,
) -> list[asyncpg.Record]:
    """Units in the scope (and, when ``covered_by`` is given, covered by one of those
    organisations)."""
    covered = COVERED_BY.format(unit="unit.id", orgs="$3")
    return await conn.fetch(
        f"SELECT {UNIT_COLUMNS} FROM unit WHERE id = ANY($1::uuid[]) AND area_code LIKE $2 "
        f"AND ($3::uuid[] IS NULL OR {covered})",
        ids,
        scope_like,
        covered_by,
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


async def lock_unit(conn: Connection, unit_id: uuid.UUID, scope_like: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {UNIT_COLUMNS} FROM unit WHERE id = $1 AND area_code LIKE $2 FOR UPDATE",
        unit_id,
        scope_like,
    )


async def update_unit(
    conn: Connection, unit_id: uuid.UUID, values: dict[str, Any]
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "UPDATE unit SET name = $2, kind = $3, employees = $4, party_members = $5, "
            "league_members = $6, union_members = $7, women = $8, youth = $9, updated_at = now() "
            f"WHERE id = $1 RETURNING {UNIT_COLUMNS}",
            unit_id,
            values["name"],
            values["kind"],
            values["employees"],
            values["party_members"],
            values["league_members"],
            values["union_members"],
            values["women"],
            values["youth"],
        )
    )


async def close_unit(
    conn: Connection, unit_id: uuid.UUID, closed_on: date, reason: str
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "UPDATE unit SET closed_on = $2, closed_reason = $3, updated_at = now() WHERE id = $1 "
            f"RETURNING {UNIT_COLUMNS}",
            unit_id,
            closed_on,
            reason,
        )
    )


async def units_filtered(
    conn: Executor,
    area_like: str,
    kind: str | None,
    family: str | None,
    state: str | None,
    include_closed: bool,
    after: int | None,
    limit: int,
    covered_by: list[uuid.UUID] | None = None,
) -> list[asyncpg.Record]:
    """Units by area subtree, kind and coverage state (COVERED, GAP, NOT_REQUIRED)."""
    sql, args = _filter_sql(area_like, kind, family, state, include_closed, covered_by)
    return await conn.fetch(
        f"SELECT {', '.join('u.' + c.strip() for c in UNIT_COLUMNS.split(','))} "
        f"FROM unit u {sql} AND u.seq > ${len(args) + 1} ORDER BY u.seq LIMIT ${len(args) + 2}",
        *args,
        after or 0,
        limit,
    )


async def count_units_filtered(
    conn: Executor,
    area_like: str,
    kind: str | None,
    family: str | None,
    state: str | None,
    include_closed: bool,
    covered_by: list[uuid.UUID] | None = None,
) -> int:
    sql, args = _filter_sql(area_like, kind, family, state, include_closed, covered_by)
    return int(await conn.fetchval(f"SELECT count(*) FROM unit u {sql}", *args))


def _filter_sql(
    area_like: str,
    kind: str | None,
    family: str | None,
    state: str | None,
    include_closed: bool,
    covered_by: list[uuid.UUID] | None,
) -> tuple[str, list[Any]]:
    args: list[Any] = [area_like]
    where = ["u.area_code LIKE $1"]
    if covered_by is not None:
        args.append(covered_by)
        where.append(COVERED_BY.format(unit="u.id", orgs=f"${len(args)}"))
    if not include_closed:
        where.append("u.closed_on IS NULL")
    if kind is not None:
        args.append(kind)
        where.append(f"u.kind = ${len(args)}")
    join = ""
    if family is not None and state is not None:
        args.append(family)
        join = f"JOIN unit_coverage c ON c.unit_id = u.id AND c.family = ${len(args)}"
        where.append(
            {
                "COVERED": "c.mode IS NOT NULL",
                "GAP": "c.required AND c.mode IS NULL",
                "NOT_REQUIRED": "NOT c.required",
            }[state]
        )
    return f"{join} WHERE {' AND '.join(where)}", args
