"""Schemes in SQL: the shipped defaults (area_code NULL) and the districts' own copies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from gongjian_kit.db import Executor, required

COLUMNS = (
    "id, seq, code, name, kind, area_code, based_on, version, definition, created_by, "
    "created_at, updated_by, updated_at"
)


async def scheme_by_id(conn: Executor, scheme_id: uuid.UUID) -> asyncpg.Record | None:
    """One scheme (its ``definition`` is ``Scheme.to_json()``), whoever owns it."""
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM scheme WHERE id = $1", scheme_id)


async def lock_scheme(conn: Executor, scheme_id: uuid.UUID) -> asyncpg.Record | None:
    """The scheme, locked for the rest of the transaction (an update in progress)."""
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM scheme WHERE id = $1 FOR UPDATE", scheme_id)


def _applicable(
    kind: str | None, area_codes: list[str], after: int | None
) -> tuple[str, list[Any]]:
    """Schemes usable in an area: the defaults and those of the area or an area above it."""
    where = ["(area_code IS NULL OR area_code = ANY($1::text[]))"]
    args: list[Any] = [area_codes]
    if kind is not None:
        args.append(kind)
        where.append(f"kind = ${len(args)}")
    if after is not None:
        args.append(after)
        where.append(f"seq > ${len(args)}")
    return " AND ".join(where), args


async def applicable_schemes(
    conn: Executor, kind: str | None, area_codes: list[str], after: int | None, limit: int
) -> list[asyncpg.Record]:
    """A page of the schemes usable in an area (``area_codes``: it and the areas above it), the
    defaults first, then in the order they were made."""
    where, args = _applicable(kind, area_codes, after)
    args.append(limit)
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM scheme WHERE {where} ORDER BY seq LIMIT ${len(args)}", *args
    )


async def count_applicable_schemes(conn: Executor, kind: str | None, area_codes: list[str]) -> int:
    where, args = _applicable(kind, area_codes, None)
    return int(await conn.fetchval(f"SELECT count(*) FROM scheme WHERE {where}", *args))


async def name_taken(
    conn: Executor, area_code: str | None, name: str, other_than: uuid.UUID | None = None
) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM scheme WHERE coalesce(area_code, '') = coalesce($1, '') "
            "AND name = $2 AND id IS DISTINCT FROM $3)",
            area_code,
            name,
            other_than,
        )
    )


async def insert_scheme(
    conn: Executor,
    *,
    scheme_id: uuid.UUID,
    code: str,
    name: str,
    kind: str,
    area_code: str,
    based_on: uuid.UUID,
    definition: dict[str, Any],
    created_by: str,
    at: datetime,
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "INSERT INTO scheme (id, code, name, kind, area_code, based_on, version, definition, "
            "created_by, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $9) "
            f"RETURNING {COLUMNS}",
            scheme_id,
            code,
            name,
            kind,
            area_code,
            based_on,
            definition,
            created_by,
            at,
        )
    )


async def replace_definition(
    conn: Executor,
    scheme_id: uuid.UUID,
    *,
    name: str,
    definition: dict[str, Any],
    updated_by: str,
    at: datetime,
) -> asyncpg.Record:
    """A new version of a scheme (cycles opened before keep the copy they took)."""
    return required(
        await conn.fetchrow(
            "UPDATE scheme SET name = $2, definition = $3, version = version + 1, "
            f"updated_by = $4, updated_at = $5 WHERE id = $1 RETURNING {COLUMNS}",
            scheme_id,
            name,
            definition,
            updated_by,
            at,
        )
    )
