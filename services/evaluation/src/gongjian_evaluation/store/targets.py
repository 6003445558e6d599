"""Targets (目标管理): SQL only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor, required

COLUMNS = (
    "t.id, t.seq, t.subject_kind, t.organization_id, t.area_code, t.subject_key, t.cycle_id, "
    "t.metric, t.target, t.period_from, t.deadline, t.behind, t.value, t.checked_at, t.set_by, "
    "t.set_at"
)


@dataclass
class TargetFilter:
    area_like: str
    organizations: list[uuid.UUID] | None = None  # ORG_ADMIN: these organisations' only
    behind: bool | None = None

    def where(self) -> tuple[str, list[Any]]:
        args: list[Any] = [self.area_like]
        where = "t.area_code LIKE $1"
        if self.organizations is not None:
            args.append(self.organizations)
            where += f" AND t.organization_id = ANY(${len(args)}::uuid[])"
        if self.behind is not None:
            args.append(self.behind)
            where += f" AND t.behind = ${len(args)}"
        return where, args


async def organization(conn: Executor, org_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, area_code, family, dissolved_on FROM organization_ref WHERE id = $1", org_id
    )


async def active_organizations(conn: Executor, area_like: str) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT id FROM organization_ref WHERE dissolved_on IS NULL AND area_code LIKE $1",
        area_like,
    )
    return [r["id"] for r in rows]


async def upsert(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    """Set a target: a new one, or the subject's target of that metric and cycle replaced (its
    last check forgotten: the next one starts afresh)."""
    row = await conn.fetchrow(
        "INSERT INTO target AS t (id, subject_kind, organization_id, area_code, subject_key, "
        "cycle_id, metric, target, period_from, deadline, set_by, set_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
        "ON CONFLICT (subject_key, metric, "
        "coalesce(cycle_id, '00000000-0000-0000-0000-000000000000'::uuid)) DO UPDATE SET "
        "target = EXCLUDED.target, period_from = EXCLUDED.period_from, "
        "deadline = EXCLUDED.deadline, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at "
        f"RETURNING {COLUMNS}",
        values["id"],
        values["subject_kind"],
        values["organization_id"],
        values["area_code"],
        values["subject_key"],
        values["cycle_id"],
        values["metric"],
        values["target"],
        values["period_from"],
        values["deadline"],
        values["set_by"],
        values["set_at"],
    )
    return required(row)


async def mark(
    conn: Connection, target_id: uuid.UUID, behind: bool, value: Decimal | None, at: datetime
) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"UPDATE target t SET behind = $2, value = $3, checked_at = $4 WHERE id = $1 "
        f"RETURNING {COLUMNS}",
        target_id,
        behind,
        value,
        at,
    )
    return required(row)


async def due_for_check(
    conn: Connection, today: date, checked_before: datetime, limit: int
) -> list[asyncpg.Record]:
    """Targets running (or whose deadline was yesterday: one last look) not checked since
    ``checked_before``, locked; replicas take different ones."""
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM target t WHERE t.period_from <= $1 AND t.deadline >= $1 - 1 "
        "AND (t.checked_at IS NULL OR t.checked_at < $2) "
        "ORDER BY t.checked_at NULLS FIRST, t.seq LIMIT $3 FOR UPDATE SKIP LOCKED",
        today,
        checked_before,
        limit,
    )


async def targets_page(
    conn: Executor, filters: TargetFilter, before_seq: int | None, limit: int
) -> list[asyncpg.Record]:
    """Newest first, from just before ``before_seq`` (the cursor)."""
    where, args = filters.where()
    if before_seq is not None:
        args.append(before_seq)
        where += f" AND t.seq < ${len(args)}"
    args.append(limit)
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM target t WHERE {where} ORDER BY t.seq DESC LIMIT ${len(args)}",
        *args,
    )


async def count_targets(conn: Executor, filters: TargetFilter) -> int:
    where, args = filters.where()
    return int(await conn.fetchval(f"SELECT count(*) FROM target t WHERE {where}", *args))
