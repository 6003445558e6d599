"""SQL for participation, volunteer hours (verified and added by hand) and their period totals."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor, required

PARTICIPATION_COLUMNS = (
    "p.id, p.seq, p.activity_id, p.person_id, p.role, p.status, p.area_code, "
    "p.person_area_code, p.activity_date, p.signed_up_at, p.withdrawn_at, p.checked_in_at, "
    "p.check_in_method, p.checked_out_at, p.claimed_hours, p.hours_status, p.verified_hours, "
    "p.verified_at, p.reject_reason"
)


async def participation_of(
    conn: Connection, activity_id: uuid.UUID, person_id: uuid.UUID
) -> asyncpg.Record | None:
    """A person's participation in an activity, locked (the activity row is locked first)."""
    return await conn.fetchrow(
        f"SELECT {PARTICIPATION_COLUMNS} FROM participation p "
        "WHERE p.activity_id = $1 AND p.person_id = $2 FOR UPDATE",
        activity_id,
        person_id,
    )


async def participation_of_person(
    conn: Executor, activity_id: uuid.UUID, person_id: uuid.UUID, status: str | None
) -> asyncpg.Record | None:
    """A person's participation in an activity (unlocked, for reading)."""
    return await conn.fetchrow(
        f"SELECT {PARTICIPATION_COLUMNS} FROM participation p "
        "WHERE p.activity_id = $1 AND p.person_id = $2 AND ($3::text IS NULL OR p.status = $3)",
        activity_id,
        person_id,
        status,
    )


async def participation_activity(conn: Executor, participation_id: uuid.UUID) -> uuid.UUID | None:
    value = await conn.fetchval(
        "SELECT activity_id FROM participation WHERE id = $1", participation_id
    )
    return value if isinstance(value, uuid.UUID) else None


async def participation_by_id(
    conn: Connection, participation_id: uuid.UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {PARTICIPATION_COLUMNS} FROM participation p WHERE p.id = $1 FOR UPDATE",
        participation_id,
    )


async def insert_participation(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    names = list(values)
    params = ", ".join(f"${i + 2}" for i in range(len(names)))
    return required(
        await conn.fetchrow(
            f"INSERT INTO participation AS p (id, {', '.join(names)}) VALUES ($1, {params}) "
            f"RETURNING {PARTICIPATION_COLUMNS}",
            uuid.uuid4(),
            *values.values(),
        )
    )


async def update_participation(
    conn: Connection, participation_id: uuid.UUID, changes: dict[str, Any]
) -> asyncpg.Record:
    sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(changes))
    return required(
        await conn.fetchrow(
            f"UPDATE participation AS p SET {sets} WHERE p.id = $1 "
            f"RETURNING {PARTICIPATION_COLUMNS}",
            participation_id,
            *changes.values(),
        )
    )


async def present_elsewhere(
    conn: Executor, person_id: uuid.UUID, activity_id: uuid.UUID
) -> list[asyncpg.Record]:
    """The other activities the person is checked in to and not out of, with their times."""
    return await conn.fetch(
        "SELECT a.id, a.title, a.starts_at, a.ends_at FROM participation p "
        "JOIN activity a ON a.id = p.activity_id "
        "WHERE p.person_id = $1 AND p.status = 'CHECKED_IN' AND p.activity_id <> $2",
        person_id,
        activity_id,
    )


async def activity_headcounts(conn: Executor, activity_id: uuid.UUID) -> asyncpg.Record:
    """People who came (checked in), and of them the volunteers."""
    return required(
        await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status IN ('CHECKED_IN', 'CHECKED_OUT')) AS came, "
            "count(*) FILTER (WHERE status IN ('CHECKED_IN', 'CHECKED_OUT') "
            "  AND role = 'VOLUNTEER') AS volunteers "
            "FROM participation WHERE activity_id = $1",
            activity_id,
        )
    )


async def activity_participations_page(
    conn: Executor,
    activity_id: uuid.UUID,
    status: str | None,
    after: int | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {PARTICIPATION_COLUMNS} FROM participation p WHERE p.activity_id = $1 "
        "AND ($2::text IS NULL OR p.status = $2) AND p.seq > $3 ORDER BY p.seq LIMIT $4",
        activity_id,
        status,
        after or 0,
        limit,
    )


async def count_activity_participations(
    conn: Executor, activity_id: uuid.UUID, status: str | None
) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM participation p WHERE p.activity_id = $1 "
            "AND ($2::text IS NULL OR p.status = $2)",
            activity_id,
            status,
        )
    )


async def person_participations_page(
    conn: Executor,
    person_id: uuid.UUID,
    since: date | None,
    until: date | None,
    after: tuple[int, ...] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """A person's participations, newest first (by the activity's day, then insertion)."""
    return await conn.fetch(
        f"SELECT {PARTICIPATION_COLUMNS} FROM participation p WHERE p.person_id = $1 "
        "AND ($2::date IS NULL OR p.activity_date >= $2) "
        "AND ($3::date IS NULL OR p.activity_date <= $3) "
        "AND ($4::int IS NULL OR (p.activity_date, p.seq) < (date '2000-01-01' + $4::int, $5)) "
        "ORDER BY p.activity_date DESC, p.seq DESC LIMIT $6",
        person_id,
        since,
        until,
        after[0] if after else None,
        after[1] if after else 0,
        limit,
    )


DAY_ZERO = date(2000, 1, 1)


def person_position(row: asyncpg.Record) -> tuple[int, int]:
    return ((row["activity_date"] - DAY_ZERO).days, int(row["seq"]))


async def count_person_participations(
    conn: Executor, person_id: uuid.UUID, since: date | None, until: date | None
) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM participation p WHERE p.person_id = $1 "
            "AND ($2::date IS NULL OR p.activity_date >= $2) "
            "AND ($3::date IS NULL OR p.activity_date <= $3)",
            person_id,
            since,
            until,
        )
    )


async def people_hours(
    conn: Executor, keys: list[tuple[uuid.UUID, date | None, date | None]]
) -> list[asyncpg.Record]:
    """Hours of several (person, from, to) in one statement: verified, pending, added."""
    return await conn.fetch(
        "SELECT k.i, "
        "  coalesce((SELECT sum(p.verified_hours) FROM participation p WHERE p.person_id = k.pid "
        "    AND p.hours_status = 'VERIFIED' AND (k.f IS NULL OR p.activity_date >= k.f) "
        "    AND (k.t IS NULL OR p.activity_date <= k.t)), 0) AS verified, "
        "  coalesce((SELECT sum(p.claimed_hours) FROM participation p WHERE p.person_id = k.pid "
        "    AND p.hours_status = 'PENDING' AND (k.f IS NULL OR p.activity_date >= k.f) "
        "    AND (k.t IS NULL OR p.activity_date <= k.t)), 0) AS pending, "
        "  coalesce((SELECT sum(m.hours) FROM manual_hours m WHERE m.person_id = k.pid "
        "    AND (k.f IS NULL OR m.served_on >= k.f) AND (k.t IS NULL OR m.served_on <= k.t)), 0) "
        "    AS manual "
        "FROM unnest($1::uuid[], $2::date[], $3::date[]) WITH ORDINALITY AS k(pid, f, t, i) "
        "ORDER BY k.i",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
    )


async def insert_manual_hours(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "INSERT INTO manual_hours (id, person_id, activity_id, area_code, served_on, hours, "
            "reason, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
            uuid.uuid4(),
            values["person_id"],
            values["activity_id"],
            values["area_code"],
            values["served_on"],
            values["hours"],
            values["reason"],
            values["added_by"],
        )
    )


def periods_of(day: date) -> tuple[str, str]:
    """The year and the month a day counts for in the period totals."""
    return (f"{day.year:04d}", f"{day.year:04d}-{day.month:02d}")


async def refresh_periods(conn: Connection, person_id: uuid.UUID, days: list[date]) -> None:
    """Recompute (set, never add to) the person's totals of the periods these days fall in."""
    periods = sorted({p for d in days for p in periods_of(d)})
    if not periods:
        return
    await conn.execute(
        "WITH k AS (SELECT unnest($2::text[]) AS period), "
        "b AS (SELECT k.period, "
        "  CASE WHEN length(k.period) = 4 THEN make_date(k.period::int, 1, 1) "
        "       ELSE make_date(left(k.period, 4)::int, right(k.period, 2)::int, 1) END AS f, "
        "  CASE WHEN length(k.period) = 4 THEN make_date(k.period::int, 1, 1) + interval '1 year' "
        "       ELSE make_date(left(k.period, 4)::int, right(k.period, 2)::int, 1) "
        "         + interval '1 month' END AS t FROM k), "
        "s AS (SELECT b.period, "
        "  coalesce((SELECT sum(p.verified_hours) FROM participation p WHERE p.person_id = $1 "
        "    AND p.hours_status = 'VERIFIED' AND p.activity_date >= b.f "
        "    AND p.activity_date < b.t), 0) AS verified, "
        "  coalesce((SELECT sum(m.hours) FROM manual_hours m WHERE m.person_id = $1 "
        "    AND m.served_on >= b.f AND m.served_on < b.t), 0) AS manual FROM b) "
        "INSERT INTO volunteer_period AS v (person_id, period, area_code, verified, manual, total) "
        "SELECT $1, s.period, coalesce((SELECT area_code FROM person_ref WHERE id = $1), $3), "
        "  s.verified, s.manual, s.verified + s.manual FROM s "
        "ON CONFLICT (person_id, period) DO UPDATE SET verified = excluded.verified, "
        "manual = excluded.manual, total = excluded.total",
        person_id,
        periods,
        "000000000000",
    )


async def top_volunteers(
    conn: Executor, area_like: str, period: str, limit: int
) -> list[asyncpg.Record]:
    """The people with the most counted hours in the period among those of the area."""
    return await conn.fetch(
        "SELECT person_id, verified, manual, total FROM volunteer_period "
        "WHERE period = $1 AND area_code LIKE $2 AND total > 0 "
        "ORDER BY total DESC, person_id LIMIT $3",
        period,
        area_like,
        limit,
    )


async def certificate_lines(
    conn: Executor, person_id: uuid.UUID, since: date, until: date
) -> list[asyncpg.Record]:
    """What a certificate states: verified participations and hours added by hand."""
    return await conn.fetch(
        "SELECT a.title, p.activity_date AS served_on, p.verified_hours AS hours, "
        "  (SELECT array_agg(ao.organization_id ORDER BY ao.organization_id) "
        "   FROM activity_organizer ao WHERE ao.activity_id = a.id) AS organizer_ids, "
        "  false AS manual "
        "FROM participation p JOIN activity a ON a.id = p.activity_id "
        "WHERE p.person_id = $1 AND p.hours_status = 'VERIFIED' AND p.verified_hours > 0 "
        "AND p.activity_date BETWEEN $2 AND $3 "
        "UNION ALL "
        "SELECT coalesce(a.title, m.reason), m.served_on, m.hours, ARRAY[]::uuid[], true "
        "FROM manual_hours m LEFT JOIN activity a ON a.id = m.activity_id "
        "WHERE m.person_id = $1 AND m.served_on BETWEEN $2 AND $3 "
        "ORDER BY served_on, title",
        person_id,
        since,
        until,
    )


def as_hours(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))
