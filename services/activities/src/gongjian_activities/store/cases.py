"""SQL of the case desk: cases, their timelines and the category catalogue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from gongjian_activities.domain.cases import CaseStatus, StepKind
from gongjian_kit.db import Connection, Executor, required
from gongjian_kit.errors import ApiError, ErrorCode

PENDING_SQL = "('OPEN', 'ACCEPTED', 'IN_PROGRESS')"
CASE_COLUMNS = (
    "c.id, c.seq, c.number, c.channel, c.category, c.urgency, c.title, c.description, "
    "c.area_code, c.organization_id, c.requester_kind, c.requester_person_id, "
    "c.requester_name_enc, c.requester_phone_enc, c.received_at, c.opened_on, c.limit_days, "
    "c.due_on, c.status, c.accepted_at, c.started_at, c.resolved_at, c.resolved_on, "
    "c.resolution, c.working_days, c.on_time, c.closed_at, c.satisfaction, "
    "c.requester_reached, c.reopen_count, c.escalated_at, c.escalated_to, c.visit_id, "
    "c.pairing_id, c.created_at"
)


async def categories(conn: Executor, include_inactive: bool) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT code, label_zh, label_en, active, sort FROM case_category "
        "WHERE active OR $1 ORDER BY sort, code",
        include_inactive,
    )


async def category(conn: Executor, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT code, label_zh, label_en, active, sort FROM case_category WHERE code = $1", code
    )


async def upsert_category(
    conn: Executor, code: str, label_zh: str, label_en: str, active: bool, sort: int
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "INSERT INTO case_category (code, label_zh, label_en, active, sort) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET label_zh = $2, "
            "label_en = $3, active = $4, sort = $5, updated_at = now() "
            "RETURNING code, label_zh, label_en, active, sort",
            code,
            label_zh,
            label_en,
            active,
            sort,
        )
    )


INSERTED = (
    "id",
    "channel",
    "category",
    "urgency",
    "title",
    "description",
    "area_code",
    "organization_id",
    "requester_kind",
    "requester_person_id",
    "requester_name_enc",
    "requester_phone_enc",
    "received_at",
    "opened_on",
    "limit_days",
    "due_on",
    "visit_id",
    "pairing_id",
    "created_by",
)


async def insert_case(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    """Insert a case with its number (SQ + the day it was received + its sequence)."""
    names = ", ".join(INSERTED)
    params = ", ".join(f"${i + 1}" for i in range(len(INSERTED)))
    opened_on = INSERTED.index("opened_on") + 1
    return required(
        await conn.fetchrow(
            "WITH n AS (SELECT nextval(pg_get_serial_sequence('service_case', 'seq')) AS seq) "
            f"INSERT INTO service_case AS c (seq, number, {names}) "
            f"SELECT n.seq, 'SQ' || to_char(${opened_on}::date, 'YYYYMMDD') "
            f"  || lpad(n.seq::text, 6, '0'), {params} FROM n "
            f"RETURNING {CASE_COLUMNS}",
            *(values.get(n) for n in INSERTED),
        )
    )


async def case_for_update(conn: Connection, case_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {CASE_COLUMNS} FROM service_case c WHERE c.id = $1 FOR UPDATE", case_id
    )


UPDATABLE = frozenset(
    {
        "status",
        "organization_id",
        "accepted_at",
        "started_at",
        "resolved_at",
        "resolved_on",
        "resolution",
        "working_days",
        "on_time",
        "closed_at",
        "satisfaction",
        "requester_reached",
        "reopen_count",
        "escalated_at",
        "escalated_to",
    }
)


async def update_case(
    conn: Connection, case_id: uuid.UUID, changes: dict[str, Any]
) -> asyncpg.Record:
    names = [n for n in changes if n in UPDATABLE]
    if len(names) != len(changes):
        raise ValueError(f"not updatable: {set(changes) - set(names)}")
    sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
    return required(
        await conn.fetchrow(
            f"UPDATE service_case c SET {sets}, updated_at = now() WHERE c.id = $1 "
            f"RETURNING {CASE_COLUMNS}",
            case_id,
            *(changes[n] for n in names),
        )
    )


async def add_step(
    conn: Connection,
    case_id: uuid.UUID,
    kind: StepKind,
    by: str,
    status_after: CaseStatus,
    *,
    from_org: uuid.UUID | None = None,
    to_org: uuid.UUID | None = None,
    note: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO case_step (case_id, kind, at, by_subject, status_after, "
        "from_organization, to_organization, note) VALUES ($1, $2, now(), $3, $4, $5, $6, $7)",
        case_id,
        kind.value,
        by,
        status_after.value,
        from_org,
        to_org,
        note,
    )


async def steps(conn: Executor, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT id, case_id, kind, at, by_subject, status_after, from_organization, "
        "to_organization, note FROM case_step WHERE case_id = ANY($1::uuid[]) ORDER BY id",
        case_ids,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in case_ids}
    for row in rows:
        found[row["case_id"]].append(row)
    return found


async def overdue_unescalated(conn: Connection, today: date, limit: int) -> list[asyncpg.Record]:
    """Cases past their deadline, not yet escalated: locked, skipping those another replica
    holds."""
    return await conn.fetch(
        f"SELECT {CASE_COLUMNS} FROM service_case c WHERE c.status IN {PENDING_SQL} "
        "AND c.due_on < $1 AND c.escalated_at IS NULL ORDER BY c.due_on, c.seq LIMIT $2 "
        "FOR UPDATE SKIP LOCKED",
        today,
        limit,
    )


async def cases_by_id(conn: Executor, ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(
        f"SELECT {CASE_COLUMNS} FROM service_case c WHERE c.id = ANY($1::uuid[])", ids
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def cases_of_visits(
    conn: Executor, visit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await conn.fetch(
        f"SELECT {CASE_COLUMNS} FROM service_case c WHERE c.visit_id = ANY($1::uuid[]) "
        "ORDER BY c.seq",
        visit_ids,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in visit_ids}
    for row in rows:
        found[row["visit_id"]].append(row)
    return found


@dataclass(frozen=True)
class CaseFilter:
    """What a list of cases asks for, within the caller's reach.

    ``orgs``: an ORG_ADMIN's organisations (cases they handle or had escalated to them);
    ``requester``: a member's own cases. ``overdue``: not resolved and past ``today``'s
    deadline, most overdue first; otherwise newest first.
    """

    area_like: str
    today: date
    status: str | None = None
    overdue: bool | None = None
    organization_id: uuid.UUID | None = None
    category: str | None = None
    orgs: list[uuid.UUID] | None = None
    requester: uuid.UUID | None = None

    def where(self) -> tuple[str, list[Any]]:
        values: list[Any] = [self.area_like]
        parts = ["c.area_code LIKE $1"]

        def param(value: Any) -> str:
            values.append(value)
            return f"${len(values)}"

        if self.status is not None:
            parts.append(f"c.status = {param(self.status)}")
        if self.overdue is True:
            parts.append(f"c.status IN {PENDING_SQL} AND c.due_on < {param(self.today)}")
        elif self.overdue is False:
            parts.append(f"NOT (c.status IN {PENDING_SQL} AND c.due_on < {param(self.today)})")
        if self.organization_id is not None:
            p = param(self.organization_id)
            # The superior's list holds the cases escalated to it, beside its own.
            parts.append(f"(c.organization_id = {p} OR c.escalated_to = {p})")
        if self.category is not None:
            parts.append(f"c.category = {param(self.category)}")
        if self.orgs is not None:
            p = param(self.orgs)
            reached = [
                f"c.organization_id = ANY({p}::uuid[])",
                f"c.escalated_to = ANY({p}::uuid[])",
            ]
            if self.requester is not None:  # an ORG_ADMIN who is also a MEMBER: both reaches
                reached.append(f"c.requester_person_id = {param(self.requester)}")
            parts.append(f"({' OR '.join(reached)})")
        elif self.requester is not None:
            parts.append(f"c.requester_person_id = {param(self.requester)}")
        return " AND ".join(parts), values

    @property
    def by_deadline(self) -> bool:
        return self.overdue is True


def position(row: asyncpg.Record, by_deadline: bool) -> tuple[int, int]:
    """A case's place in its list: (deadline's day number, seq) or (seq, 0)."""
    if by_deadline:
        return (row["due_on"].toordinal(), row["seq"])
    return (row["seq"], 0)


def due_of_cursor(day_number: int) -> date:
    """The deadline a cursor holds; a number no date has is the cursor's fault (typed)."""
    if not date.min.toordinal() <= day_number <= date.max.toordinal():
        raise ApiError(ErrorCode.BAD_USER_INPUT, "分页游标无效", "The cursor is not valid", "after")
    return date.fromordinal(day_number)


async def cases_page(
    conn: Executor, filters: CaseFilter, after: tuple[int, ...] | None, limit: int
) -> list[asyncpg.Record]:
    where, values = filters.where()
    if filters.by_deadline:
        order = "c.due_on, c.seq"
        if after is not None:
            values += [due_of_cursor(after[0]), after[1]]
            where += f" AND (c.due_on, c.seq) > (${len(values) - 1}, ${len(values)})"
    else:
        order = "c.seq DESC"
        if after is not None:
            values.append(after[0])
            where += f" AND c.seq < ${len(values)}"
    values.append(limit)
    return await conn.fetch(
        f"SELECT {CASE_COLUMNS} FROM service_case c WHERE {where} ORDER BY {order} "
        f"LIMIT ${len(values)}",
        *values,
    )


async def count_cases(conn: Executor, filters: CaseFilter) -> int:
    where, values = filters.where()
    return int(await conn.fetchval(f"SELECT count(*) FROM service_case c WHERE {where}", *values))
