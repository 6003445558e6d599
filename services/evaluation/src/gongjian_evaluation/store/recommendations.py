"""SQL of 推优入党 recommendations and their conversion (推优质量)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from gongjian_kit.db import Connection, Executor, required

COLUMNS = (
    "r.id, r.seq, r.person_id, r.organization_id, r.family, r.area_code, r.stage, "
    "r.recommended_on, r.activist_on, r.candidate_on, r.probationary_on, r.full_member_on, "
    "r.reason, r.stopped_on, r.stop_reason, r.recommended_by, r.recommended_at, r.updated_at"
)
# The column holding each stage's date (a fixed set: never from input).
STAGE_COLUMNS = {
    "RECOMMENDED": "recommended_on",
    "ACTIVIST": "activist_on",
    "CANDIDATE": "candidate_on",
    "PROBATIONARY": "probationary_on",
    "FULL_MEMBER": "full_member_on",
}


@dataclass(frozen=True)
class RecommendationFilter:
    """The recommendations a caller may list: an area (LIKE), and for an ORG_ADMIN its own
    organisations', for a member their own."""

    area_like: str
    organizations: list[uuid.UUID] | None = None
    person_id: uuid.UUID | None = None
    stage: str | None = None
    organization_id: uuid.UUID | None = None

    def where(self, first: int = 1) -> tuple[str, list[object]]:
        clauses = [f"r.area_code LIKE ${first}"]
        args: list[object] = [self.area_like]
        optional: tuple[tuple[str, object], ...] = (
            ("r.organization_id = ANY(${}::uuid[])", self.organizations),
            ("r.person_id = ${}", self.person_id),
            ("r.stage = ${}", self.stage),
            ("r.organization_id = ${}", self.organization_id),
        )
        for clause, value in optional:
            if value is not None:
                args.append(value)
                clauses.append(clause.format(first + len(args) - 1))
        return " AND ".join(clauses), args


async def organization(conn: Executor, org_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, area_code, family, dissolved_on FROM organization_ref WHERE id = $1", org_id
    )


async def insert(
    conn: Connection,
    *,
    recommendation_id: uuid.UUID,
    person_id: uuid.UUID,
    org: asyncpg.Record,
    on: date,
    reason: str,
    by: str,
    at: datetime,
) -> asyncpg.Record | None:
    """The new recommendation, or None when the person has a live one already."""
    return await conn.fetchrow(
        "INSERT INTO recommendation AS r (id, person_id, organization_id, family, area_code, "
        "recommended_on, reason, recommended_by, recommended_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) "
        "ON CONFLICT (person_id) WHERE stopped_on IS NULL DO NOTHING "
        f"RETURNING {COLUMNS}",
        recommendation_id,
        person_id,
        org["id"],
        org["family"],
        org["area_code"],
        on,
        reason,
        by,
        at,
    )


async def for_update(conn: Connection, recommendation_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM recommendation r WHERE r.id = $1 FOR UPDATE", recommendation_id
    )


async def advance(
    conn: Connection, recommendation_id: uuid.UUID, stage: str, on: date, at: datetime
) -> asyncpg.Record:
    column = STAGE_COLUMNS[stage]
    return required(
        await conn.fetchrow(
            f"UPDATE recommendation r SET stage = $2, {column} = $3, updated_at = $4 "
            f"WHERE r.id = $1 RETURNING {COLUMNS}",
            recommendation_id,
            stage,
            on,
            at,
        )
    )


async def stop(
    conn: Connection, recommendation_id: uuid.UUID, on: date, reason: str, at: datetime
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "UPDATE recommendation r SET stopped_on = $2, stop_reason = $3, updated_at = $4 "
            f"WHERE r.id = $1 RETURNING {COLUMNS}",
            recommendation_id,
            on,
            reason,
            at,
        )
    )


async def by_id(conn: Executor, ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM recommendation r WHERE r.id = ANY($1::uuid[])", ids
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def page(
    conn: Executor, filters: RecommendationFilter, before: int | None, limit: int
) -> list[asyncpg.Record]:
    """Newest first, keyset on ``seq``."""
    where, args = filters.where()
    if before is not None:
        args.append(before)
        where += f" AND r.seq < ${len(args)}"
    args.append(limit)
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM recommendation r WHERE {where} ORDER BY r.seq DESC "
        f"LIMIT ${len(args)}",
        *args,
    )


async def count(conn: Executor, filters: RecommendationFilter) -> int:
    where, args = filters.where()
    return int(
        await conn.fetchval(f"SELECT count(*) FROM recommendation r WHERE {where}", *args) or 0
    )


async def conversion(
    conn: Executor,
    area_like: str,
    organizations: list[uuid.UUID] | None,
    recommended_from: date | None,
    recommended_to: date | None,
) -> list[asyncpg.Record]:
    """Per recommending organisation: recommended (in the period, by its date of
    recommendation) and converted (now a probationary or full member)."""
    return await conn.fetch(
        "SELECT r.organization_id, r.family, count(*) AS recommended, "
        "count(*) FILTER (WHERE r.stage IN ('PROBATIONARY', 'FULL_MEMBER')) AS converted "
        "FROM recommendation r WHERE r.area_code LIKE $1 "
        "AND ($2::uuid[] IS NULL OR r.organization_id = ANY($2::uuid[])) "
        "AND ($3::date IS NULL OR r.recommended_on >= $3) "
        "AND ($4::date IS NULL OR r.recommended_on <= $4) "
        "GROUP BY r.organization_id, r.family ORDER BY r.family, r.organization_id",
        area_like,
        organizations,
        recommended_from,
        recommended_to,
    )
