"""SQL of awards (表彰) and their objections (异议), and the published results they come from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from gongjian_kit.db import Connection, Executor, required

AWARD_COLUMNS = (
    "w.id, w.seq, w.cycle_id, w.assessment_id, w.subject_kind, w.subject_id, w.area_code, "
    "w.title, w.status, w.notice_from, w.notice_until, w.objection_count, w.open_objections, "
    "w.proposed_by, w.proposed_at, w.conferred_by, w.conferred_at, w.withdrawn_by, "
    "w.withdrawn_at, w.withdraw_reason"
)
OBJECTION_COLUMNS = (
    "o.id, o.seq, o.award_id, o.content, o.raised_by, o.raised_at, o.answer, o.answered_by, "
    "o.answered_at"
)


async def assessment_to_award(conn: Executor, assessment_id: uuid.UUID) -> asyncpg.Record | None:
    """What an award is proposed from: the assessment, its status and subject, its cycle."""
    return await conn.fetchrow(
        "SELECT a.id, a.cycle_id, a.subject_kind, a.subject_id, a.area_code, a.status, a.grade "
        "FROM assessment a WHERE a.id = $1",
        assessment_id,
    )


async def insert_award(
    conn: Connection,
    *,
    award_id: uuid.UUID,
    assessment: asyncpg.Record,
    title: str,
    notice_from: date,
    notice_until: date,
    by: str,
    at: datetime,
) -> asyncpg.Record | None:
    """The new award, or None when the assessment already has a live award of that title."""
    return await conn.fetchrow(
        "INSERT INTO award AS w (id, cycle_id, assessment_id, subject_kind, subject_id, "
        "area_code, title, notice_from, notice_until, proposed_by, proposed_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
        "ON CONFLICT (assessment_id, title) WHERE status <> 'WITHDRAWN' DO NOTHING "
        f"RETURNING {AWARD_COLUMNS}",
        award_id,
        assessment["cycle_id"],
        assessment["id"],
        assessment["subject_kind"],
        assessment["subject_id"],
        assessment["area_code"],
        title,
        notice_from,
        notice_until,
        by,
        at,
    )


async def award_for_update(conn: Connection, award_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {AWARD_COLUMNS} FROM award w WHERE w.id = $1 FOR UPDATE", award_id
    )


async def awards_by_id(conn: Executor, ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
    """Awards in the keys' order (None for an unknown id)."""
    rows = await conn.fetch(
        f"SELECT {AWARD_COLUMNS} FROM award w WHERE w.id = ANY($1::uuid[])", ids
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def confer(conn: Connection, award_id: uuid.UUID, by: str, at: datetime) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "UPDATE award w SET status = 'CONFERRED', conferred_by = $2, conferred_at = $3 "
            f"WHERE w.id = $1 RETURNING {AWARD_COLUMNS}",
            award_id,
            by,
            at,
        )
    )


async def withdraw(
    conn: Connection, award_id: uuid.UUID, reason: str, by: str, at: datetime
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "UPDATE award w SET status = 'WITHDRAWN', withdraw_reason = $2, withdrawn_by = $3, "
            f"withdrawn_at = $4 WHERE w.id = $1 RETURNING {AWARD_COLUMNS}",
            award_id,
            reason,
            by,
            at,
        )
    )


async def insert_objection(
    conn: Connection,
    objection_id: uuid.UUID,
    award_id: uuid.UUID,
    content: str,
    by: str,
    at: datetime,
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """The objection and its award with the counts moved (the award row locked by the caller)."""
    objection = required(
        await conn.fetchrow(
            "INSERT INTO objection AS o (id, award_id, content, raised_by, raised_at) "
            f"VALUES ($1, $2, $3, $4, $5) RETURNING {OBJECTION_COLUMNS}",
            objection_id,
            award_id,
            content,
            by,
            at,
        )
    )
    award = required(
        await conn.fetchrow(
            "UPDATE award w SET objection_count = objection_count + 1, "
            "open_objections = open_objections + 1 "
            f"WHERE w.id = $1 RETURNING {AWARD_COLUMNS}",
            award_id,
        )
    )
    return objection, award


async def objection_by_id(conn: Executor, objection_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {OBJECTION_COLUMNS} FROM objection o WHERE o.id = $1", objection_id
    )


async def answer_objection(
    conn: Connection, objection_id: uuid.UUID, answer: str, by: str, at: datetime
) -> tuple[asyncpg.Record, asyncpg.Record] | None:
    """The answered objection and its award (count of open ones moved), or None when it had
    been answered already (the award row locked by the caller)."""
    objection = await conn.fetchrow(
        "UPDATE objection o SET answer = $2, answered_by = $3, answered_at = $4 "
        f"WHERE o.id = $1 AND o.answered_at IS NULL RETURNING {OBJECTION_COLUMNS}",
        objection_id,
        answer,
        by,
        at,
    )
    if objection is None:
        return None
    award = required(
        await conn.fetchrow(
            "UPDATE award w SET open_objections = open_objections - 1 "
            f"WHERE w.id = $1 RETURNING {AWARD_COLUMNS}",
            objection["award_id"],
        )
    )
    return objection, award


async def objections_of(
    conn: Executor, award_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    """Each award's objections, oldest first (an award has a handful)."""
    rows = await conn.fetch(
        f"SELECT {OBJECTION_COLUMNS} FROM objection o WHERE o.award_id = ANY($1::uuid[]) "
        "ORDER BY o.award_id, o.seq",
        award_ids,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in award_ids}
    for row in rows:
        found[row["award_id"]].append(row)
    return found


@dataclass(frozen=True)
class AwardFilter:
    """Awards of an area (LIKE pattern); ``subjects``: only these subjects (an ORG_ADMIN's own
    organisations, or one subject's history); None for all."""

    area_like: str
    subjects: list[uuid.UUID] | None = None
    status: str | None = None
    title: str | None = None

    def where(self) -> tuple[str, list[object]]:
        clauses = ["w.area_code LIKE $1"]
        args: list[object] = [self.area_like]
        for column, value in (
            ("w.subject_id = ANY(${}::uuid[])", self.subjects),
            ("w.status = ${}", self.status),
            ("w.title = ${}", self.title),
        ):
            if value is not None:
                args.append(value)
                clauses.append(column.format(len(args)))
        return " AND ".join(clauses), args


async def awards_page(
    conn: Executor, filters: AwardFilter, before_seq: int | None, limit: int
) -> list[asyncpg.Record]:
    """Newest first, from just before ``before_seq`` (the cursor)."""
    where, args = filters.where()
    if before_seq is not None:
        args.append(before_seq)
        where += f" AND w.seq < ${len(args)}"
    args.append(limit)
    return await conn.fetch(
        f"SELECT {AWARD_COLUMNS} FROM award w WHERE {where} ORDER BY w.seq DESC LIMIT ${len(args)}",
        *args,
    )


async def count_awards(conn: Executor, filters: AwardFilter) -> int:
    where, args = filters.where()
    return int(await conn.fetchval(f"SELECT count(*) FROM award w WHERE {where}", *args))


async def awards_of_subjects(
    conn: Executor,
    subject_ids: list[uuid.UUID],
    area_like: str,
    before_seq: int | None,
    limit: int,
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    """Each subject's awards in ``area_like``, newest first, a page each (one statement for
    the organisations or people of a whole list)."""
    rows = await conn.fetch(
        f"SELECT * FROM (SELECT {AWARD_COLUMNS}, row_number() OVER "
        "(PARTITION BY w.subject_id ORDER BY w.seq DESC) AS n FROM award w "
        "WHERE w.subject_id = ANY($1::uuid[]) AND w.area_code LIKE $2 "
        "AND ($3::bigint IS NULL OR w.seq < $3)) page WHERE n <= $4 ORDER BY seq DESC",
        subject_ids,
        area_like,
        before_seq,
        limit,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in subject_ids}
    for row in rows:
        found[row["subject_id"]].append(row)
    return found


async def count_awards_of_subjects(
    conn: Executor, subject_ids: list[uuid.UUID], area_like: str
) -> dict[uuid.UUID, int]:
    rows = await conn.fetch(
        "SELECT subject_id, count(*) AS n FROM award WHERE subject_id = ANY($1::uuid[]) "
        "AND area_code LIKE $2 GROUP BY subject_id",
        subject_ids,
        area_like,
    )
    return {r["subject_id"]: int(r["n"]) for r in rows}


# --- What the exports read: published results, frozen when they were published. ---


async def published_results(
    conn: Executor, cycle_id: uuid.UUID, area_like: str
) -> list[asyncpg.Record]:
    """The cycle's published assessments in ``area_like``, ranked (family, rank, subject)."""
    return await conn.fetch(
        "SELECT a.id, a.subject_kind, a.subject_id, a.area_code, a.family, a.total, "
        "a.dimension_scores, a.rank, a.grade, a.grade_note, a.published_at "
        "FROM assessment a WHERE a.cycle_id = $1 AND a.status = 'PUBLISHED' "
        "AND a.area_code LIKE $2 "
        "ORDER BY a.family NULLS FIRST, a.rank NULLS LAST, a.total DESC NULLS LAST, a.seq",
        cycle_id,
        area_like,
    )
