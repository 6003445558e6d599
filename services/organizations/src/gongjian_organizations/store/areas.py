"""SQL for areas."""

from __future__ import annotations

import asyncpg

from gongjian_kit.db import Connection, Executor

AREA_COLUMNS = "code, name, level, parent_code"


async def areas_by_code(
    conn: Executor, codes: list[str], scope_like: str
) -> list[asyncpg.Record | None]:
    """Areas in the keys' order (None where missing or outside the scope)."""
    rows = await conn.fetch(
        f"SELECT {AREA_COLUMNS} FROM area WHERE code = ANY($1::text[]) AND code LIKE $2",
        codes,
        scope_like,
    )
    found = {r["code"]: r for r in rows}
    return [found.get(code) for code in codes]


async def child_areas(conn: Executor, parent_code: str, scope_like: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {AREA_COLUMNS} FROM area WHERE parent_code = $1 AND code LIKE $2 ORDER BY code",
        parent_code,
        scope_like,
    )


async def children_of(
    conn: Executor, parent_codes: list[str], scope_like: str
) -> list[list[asyncpg.Record]]:
    rows = await conn.fetch(
        f"SELECT {AREA_COLUMNS} FROM area WHERE parent_code = ANY($1::text[]) AND code LIKE $2 "
        "ORDER BY code",
        parent_codes,
        scope_like,
    )
    grouped: dict[str, list[asyncpg.Record]] = {c: [] for c in parent_codes}
    for row in rows:
        grouped[row["parent_code"]].append(row)
    return [grouped[c] for c in parent_codes]


async def insert_area(
    conn: Connection, code: str, name: str, level: str, parent_code: str | None
) -> asyncpg.Record | None:
    """Insert; None when the code is taken."""
    return await conn.fetchrow(
        f"INSERT INTO area (code, name, level, parent_code) VALUES ($1, $2, $3, $4) "
        f"ON CONFLICT (code) DO NOTHING RETURNING {AREA_COLUMNS}",
        code,
        name,
        level,
        parent_code,
    )


async def area_exists(conn: Connection, code: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM area WHERE code = $1", code))


async def rename_area(
    conn: Connection, code: str, name: str, scope_like: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"UPDATE area SET name = $2 WHERE code = $1 AND code LIKE $3 RETURNING {AREA_COLUMNS}",
        code,
        name,
        scope_like,
    )


async def search_areas(
    conn: Executor, text: str, scope_like: str, limit: int
) -> list[asyncpg.Record]:
    """Areas whose name contains ``text`` (areas are few: thousands in a district)."""
    return await conn.fetch(
        f"SELECT {AREA_COLUMNS} FROM area WHERE code LIKE $2 AND strpos(name, $1) > 0 "
        "ORDER BY length(name), code LIMIT $3",
        text,
        scope_like,
        limit,
    )
