"""SQL of cycles, assessments, their indicators and the members' reviews."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor, required

CYCLE_COLUMNS = (
    "id, seq, name, area_code, scheme_id, kind, definition, bands, period_from, period_to, "
    "families, status, opened_by, opened_at, closed_by, closed_at, published_at"
)
ASSESSMENT_COLUMNS = (
    "a.id, a.seq, a.cycle_id, a.subject_kind, a.subject_id, a.area_code, a.family, a.status, "
    "a.self_comment, a.submitted_at, a.returned_reason, a.returned_at, a.assessor_subject, "
    "a.review_comment, a.reviewed_at, a.total, a.dimension_scores, a.rank, a.grade, "
    "a.grade_note, a.published_at"
)


async def insert_cycle(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "INSERT INTO cycle (id, name, area_code, scheme_id, kind, definition, bands, "
            "period_from, period_to, families, opened_by) "
            "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11) "
            f"RETURNING {CYCLE_COLUMNS}",
            values["id"],
            values["name"],
            values["area_code"],
            values["scheme_id"],
            values["kind"],
            json.dumps(values["definition"], ensure_ascii=False),
            json.dumps(values["bands"]),
            values["period_from"],
            values["period_to"],
            values["families"],
            values["opened_by"],
        )
    )


async def insert_assessments(
    conn: Connection,
    cycle_id: uuid.UUID,
    subjects: list[tuple[str, uuid.UUID, str, str | None]],
) -> int:
    """One assessment per subject (kind, id, area, family), in one statement."""
    if not subjects:
        return 0
    await conn.execute(
        "INSERT INTO assessment (id, cycle_id, subject_kind, subject_id, area_code, family) "
        "SELECT gen_random_uuid(), $1, k, s, a, f "
        "FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[]) AS t(k, s, a, f)",
        cycle_id,
        [s[0] for s in subjects],
        [s[1] for s in subjects],
        [s[2] for s in subjects],
        [s[3] for s in subjects],
    )
    return len(subjects)


async def cycle(
    conn: Executor, cycle_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {CYCLE_COLUMNS} FROM cycle WHERE id = $1" + (" FOR UPDATE" if lock else ""),
        cycle_id,
    )


async def cycles_by_id(conn: Executor, ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(f"SELECT {CYCLE_COLUMNS} FROM cycle WHERE id = ANY($1::uuid[])", ids)
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def update_cycle(conn: Connection, cycle_id: uuid.UUID, **changes: Any) -> asyncpg.Record:
    names = list(changes)
    sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
    return required(
        await conn.fetchrow(
            f"UPDATE cycle SET {sets} WHERE id = $1 RETURNING {CYCLE_COLUMNS}",
            cycle_id,
            *changes.values(),
        )
    )


async def cycles_page(
    conn: Executor, area_like: str, status: str | None, after: int | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {CYCLE_COLUMNS} FROM cycle WHERE area_code LIKE $1 "
        "AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR seq < $3) "
        "ORDER BY seq DESC LIMIT $4",
        area_like,
        status,
        after,
        limit,
    )


async def count_cycles(conn: Executor, area_like: str, status: str | None) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM cycle WHERE area_code LIKE $1 "
            "AND ($2::text IS NULL OR status = $2)",
            area_like,
            status,
        )
    )


async def assessment(
    conn: Executor, assessment_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ASSESSMENT_COLUMNS} FROM assessment a WHERE a.id = $1"
        + (" FOR UPDATE" if lock else ""),
        assessment_id,
    )


async def assessments_by_id(conn: Executor, ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(
        f"SELECT {ASSESSMENT_COLUMNS} FROM assessment a WHERE a.id = ANY($1::uuid[])", ids
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def update_assessment(
    conn: Connection, assessment_id: uuid.UUID, **changes: Any
) -> asyncpg.Record:
    names = list(changes)
    sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
    return required(
        await conn.fetchrow(
            f"UPDATE assessment a SET {sets} WHERE a.id = $1 RETURNING {ASSESSMENT_COLUMNS}",
            assessment_id,
            *changes.values(),
        )
    )


@dataclass(frozen=True)
class AssessmentFilter:
    """Which assessments of a cycle a caller's reach admits: all (admins), those of some
    organisations (ORG_ADMIN), those assigned to a subject (ASSESSOR), a person's own (SELF)."""

    cycle_id: uuid.UUID
    everything: bool = False
    orgs: list[uuid.UUID] | None = None
    assessor: str | None = None
    person: uuid.UUID | None = None
    status: str | None = None
    family: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        values: list[Any] = [self.cycle_id]
        reached = []

        def param(value: Any) -> str:
            values.append(value)
            return f"${len(values)}"

        if self.orgs is not None:
            orgs = param(self.orgs)
            reached.append(f"(a.subject_kind = 'ORGANIZATION' AND a.subject_id = ANY({orgs}))")
        if self.assessor is not None:
            reached.append(f"a.assessor_subject = {param(self.assessor)}")
        if self.person is not None:
            reached.append(f"(a.subject_kind = 'PERSON' AND a.subject_id = {param(self.person)})")
        parts = ["a.cycle_id = $1"]
        if not self.everything:
            parts.append(f"({' OR '.join(reached) or 'false'})")
        if self.status is not None:
            parts.append(f"a.status = {param(self.status)}")
        if self.family is not None:
            parts.append(f"a.family = {param(self.family)}")
        return " AND ".join(parts), values


async def assessments_page(
    conn: Executor,
    filters: AssessmentFilter,
    ranked: bool,
    after: tuple[int, ...] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """By rank (published results; then by seq) or by seq."""
    where, values = filters.where()
    if ranked:
        order = "COALESCE(a.rank, 2147483647), a.seq"
        if after is not None:
            values += [after[0], after[1]]
            where += (
                f" AND (COALESCE(a.rank, 2147483647), a.seq) > (${len(values) - 1}, ${len(values)})"
            )
    else:
        order = "a.seq"
        if after is not None:
            values.append(after[0])
            where += f" AND a.seq > ${len(values)}"
    values.append(limit)
    return await conn.fetch(
        f"SELECT {ASSESSMENT_COLUMNS} FROM assessment a WHERE {where} ORDER BY {order} "
        f"LIMIT ${len(values)}",
        *values,
    )


async def count_assessments(conn: Executor, filters: AssessmentFilter) -> int:
    where, values = filters.where()
    return int(await conn.fetchval(f"SELECT count(*) FROM assessment a WHERE {where}", *values))


async def cycle_subjects(conn: Executor, cycle_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {ASSESSMENT_COLUMNS} FROM assessment a WHERE a.cycle_id = $1 ORDER BY a.seq",
        cycle_id,
    )


async def indicators(
    conn: Executor, assessment_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT assessment_id, code, numerator, denominator, value, evidence_count, score, "
        "self_score, self_evidence, reviewer_score, reviewer_comment, frozen_at "
        "FROM assessment_indicator WHERE assessment_id = ANY($1::uuid[])",
        assessment_ids,
    )
    found: dict[uuid.UUID, dict[str, asyncpg.Record]] = {i: {} for i in assessment_ids}
    for row in rows:
        found[row["assessment_id"]][row["code"]] = row
    return found


async def set_scored(
    conn: Connection,
    assessment_id: uuid.UUID,
    code: str,
    *,
    self_score: Decimal | None = None,
    self_evidence: str | None = None,
    reviewer_score: Decimal | None = None,
    reviewer_comment: str | None = None,
    by_reviewer: bool,
) -> None:
    if by_reviewer:
        await conn.execute(
            "INSERT INTO assessment_indicator (assessment_id, code, reviewer_score, "
            "reviewer_comment) VALUES ($1, $2, $3, $4) ON CONFLICT (assessment_id, code) DO "
            "UPDATE SET reviewer_score = $3, reviewer_comment = $4",
            assessment_id,
            code,
            reviewer_score,
            reviewer_comment,
        )
    else:
        await conn.execute(
            "INSERT INTO assessment_indicator (assessment_id, code, self_score, self_evidence) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (assessment_id, code) DO "
            "UPDATE SET self_score = $3, self_evidence = $4",
            assessment_id,
            code,
            self_score,
            self_evidence,
        )


async def freeze_measured(
    conn: Connection,
    code: str,
    frozen_at: datetime,
    rows: list[tuple[uuid.UUID, Decimal, Decimal | None, Decimal | None, int, Decimal]],
) -> None:
    """Write one measured indicator for many assessments (assessment id, numerator,
    denominator, value, evidence count, score) in one statement."""
    if not rows:
        return
    await conn.execute(
        "INSERT INTO assessment_indicator (assessment_id, code, numerator, denominator, value, "
        "evidence_count, score, frozen_at) "
        "SELECT a, $1, n, d, v, c, s, $2 FROM unnest($3::uuid[], $4::numeric[], "
        "$5::numeric[], $6::numeric[], $7::int[], $8::numeric[]) AS t(a, n, d, v, c, s) "
        "ON CONFLICT (assessment_id, code) DO UPDATE SET numerator = excluded.numerator, "
        "denominator = excluded.denominator, value = excluded.value, "
        "evidence_count = excluded.evidence_count, score = excluded.score, "
        "frozen_at = excluded.frozen_at",
        code,
        frozen_at,
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        [r[4] for r in rows],
        [r[5] for r in rows],
    )


async def set_totals(
    conn: Connection,
    rows: list[tuple[uuid.UUID, Decimal, dict[str, Decimal]]],
) -> None:
    """Provisional totals (closing) for many assessments at once."""
    if not rows:
        return
    await conn.execute(
        "UPDATE assessment a SET total = t.total, dimension_scores = t.dims::jsonb "
        "FROM unnest($1::uuid[], $2::numeric[], $3::text[]) AS t(id, total, dims) "
        "WHERE a.id = t.id",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [json.dumps({k: str(v) for k, v in r[2].items()}) for r in rows],
    )


async def publish_results(
    conn: Connection,
    rows: list[tuple[uuid.UUID, Decimal, dict[str, Decimal], int, str, str | None]],
    at: datetime,
) -> list[asyncpg.Record]:
    """Publish reviewed assessments with their total, dimension scores, rank, grade and note."""
    return await conn.fetch(
        "UPDATE assessment a SET status = 'PUBLISHED', published_at = $7, total = t.total, "
        "dimension_scores = t.dims::jsonb, rank = t.rank, grade = t.grade, grade_note = t.note "
        "FROM unnest($1::uuid[], $2::numeric[], $3::text[], $4::int[], $5::text[], $6::text[]) "
        "AS t(id, total, dims, rank, grade, note) WHERE a.id = t.id "
        f"RETURNING {ASSESSMENT_COLUMNS}",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [json.dumps({k: str(v) for k, v in r[2].items()}) for r in rows],
        [r[3] for r in rows],
        [r[4] for r in rows],
        [r[5] for r in rows],
        at,
    )


async def add_member_review(
    conn: Connection, assessment_id: uuid.UUID, key: bytes, ratings: dict[str, int], day: date
) -> bool:
    """False when this member has rated the assessment already."""
    done = await conn.fetchval(
        "INSERT INTO member_review (assessment_id, reviewer_key, ratings, submitted_on) "
        "VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING RETURNING true",
        assessment_id,
        key,
        json.dumps(ratings),
        day,
    )
    return bool(done)


async def member_ratings(
    conn: Executor, assessment_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, int]]]:
    rows = await conn.fetch(
        "SELECT assessment_id, ratings FROM member_review WHERE assessment_id = ANY($1::uuid[])",
        assessment_ids,
    )
    found: dict[uuid.UUID, list[dict[str, int]]] = {i: [] for i in assessment_ids}
    for row in rows:
        ratings = row["ratings"]
        found[row["assessment_id"]].append(
            json.loads(ratings) if isinstance(ratings, str) else ratings
        )
    return found


async def has_reviewed(
    conn: Executor, assessment_ids: list[uuid.UUID], keys: list[bytes]
) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT assessment_id FROM member_review WHERE (assessment_id, reviewer_key) IN "
        "(SELECT * FROM unnest($1::uuid[], $2::bytea[]))",
        assessment_ids,
        keys,
    )
    return {r["assessment_id"] for r in rows}


async def open_assessments_of(conn: Executor, org_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    """Assessments of these organisations not yet published (members may rate them)."""
    return await conn.fetch(
        f"SELECT {ASSESSMENT_COLUMNS} FROM assessment a WHERE a.subject_kind = 'ORGANIZATION' "
        "AND a.subject_id = ANY($1::uuid[]) AND a.status <> 'PUBLISHED' ORDER BY a.seq",
        org_ids,
    )


async def organizations_of_member(
    conn: Executor, person_id: uuid.UUID, today: date
) -> list[uuid.UUID]:
    """The organisations the person belongs to today (the membership read model)."""
    rows = await conn.fetch(
        "SELECT DISTINCT organization_id FROM membership WHERE person_id = $1 "
        "AND since <= $2 AND (until IS NULL OR until >= $2)",
        person_id,
        today,
    )
    return [r["organization_id"] for r in rows]
