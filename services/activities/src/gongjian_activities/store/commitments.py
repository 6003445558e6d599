"""SQL of pledges, joint meetings with their decisions, and ventures with their updates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor, required

# --- what this service knows of organisations and people, for these records -----------------


async def organizations_with_family(
    conn: Executor, ids: list[uuid.UUID]
) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT id, area_code, family, kind, dissolved_on FROM organization_ref "
        "WHERE id = ANY($1::uuid[])",
        ids,
    )
    return {r["id"]: r for r in rows}


async def person_status(conn: Executor, person_id: uuid.UUID) -> asyncpg.Record | None:
    """A known person's area and political status (never a name: this service has none)."""
    return await conn.fetchrow(
        "SELECT id, area_code, political_status FROM person_ref WHERE id = $1", person_id
    )


async def is_current_member(conn: Executor, person_id: uuid.UUID, org_ids: list[uuid.UUID]) -> bool:
    """Whether the person is a current member or leader of one of the organisations."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM membership_ref WHERE person_id = $1 "
            "AND organization_id = ANY($2::uuid[]))",
            person_id,
            org_ids,
        )
    )


# --- pledges ----------------------------------------------------------------------------------

PLEDGE_COLUMNS = (
    "p.id, p.seq, p.area_code, p.pledger_kind, p.organization_id, p.person_id, p.content, "
    "p.made_on, p.due_on, p.status, p.evidence, p.evidence_activity_id, p.fulfilled_on, "
    "p.on_time, p.lapsed_at, p.created_at"
)


async def insert_pledge(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "INSERT INTO pledge AS p (id, area_code, pledger_kind, organization_id, person_id, "
            "content, made_on, due_on, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            f"RETURNING {PLEDGE_COLUMNS}",
            values["id"],
            values["area_code"],
            values["pledger_kind"],
            values["organization_id"],
            values["person_id"],
            values["content"],
            values["made_on"],
            values["due_on"],
            values["created_by"],
        )
    )


async def pledge_for_update(conn: Connection, pledge_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {PLEDGE_COLUMNS} FROM pledge p WHERE p.id = $1 FOR UPDATE", pledge_id
    )


async def fulfil_pledge(
    conn: Connection,
    pledge_id: uuid.UUID,
    evidence: str,
    activity_id: uuid.UUID | None,
    fulfilled_on: date,
    on_time: bool,
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "UPDATE pledge p SET status = 'FULFILLED', evidence = $2, evidence_activity_id = $3, "
            "fulfilled_on = $4, on_time = $5, updated_at = now() WHERE p.id = $1 "
            f"RETURNING {PLEDGE_COLUMNS}",
            pledge_id,
            evidence,
            activity_id,
            fulfilled_on,
            on_time,
        )
    )


async def lapsing_pledges(conn: Connection, today: date, limit: int) -> list[asyncpg.Record]:
    """Pledges still only made whose due day has passed: locked, skipping another replica's."""
    return await conn.fetch(
        f"SELECT {PLEDGE_COLUMNS} FROM pledge p WHERE p.status = 'MADE' AND p.due_on < $1 "
        "ORDER BY p.due_on, p.seq LIMIT $2 FOR UPDATE SKIP LOCKED",
        today,
        limit,
    )


async def mark_lapsed(conn: Connection, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "UPDATE pledge p SET status = 'LAPSED', lapsed_at = now(), updated_at = now() "
        f"WHERE p.id = ANY($1::uuid[]) RETURNING {PLEDGE_COLUMNS}",
        ids,
    )


@dataclass(frozen=True)
class PledgeFilter:
    """An area's pledges; ``orgs``: an ORG_ADMIN's organisations (their pledges only)."""

    area_like: str
    status: str | None = None
    organization_id: uuid.UUID | None = None
    orgs: list[uuid.UUID] | None = None

    def where(self, first_param: int) -> tuple[str, list[Any]]:
        values: list[Any] = [self.area_like, self.status, self.organization_id, self.orgs]
        p = [f"${first_param + i}" for i in range(len(values))]
        return (
            f"p.area_code LIKE {p[0]} AND ({p[1]}::text IS NULL OR p.status = {p[1]}) "
            f"AND ({p[2]}::uuid IS NULL OR p.organization_id = {p[2]}) "
            f"AND ({p[3]}::uuid[] IS NULL OR p.organization_id = ANY({p[3]}::uuid[]))"
        ), values


async def pledges_page(
    conn: Executor, filters: PledgeFilter, after: int | None, limit: int
) -> list[asyncpg.Record]:
    """Newest first."""
    where, values = filters.where(3)
    return await conn.fetch(
        f"SELECT {PLEDGE_COLUMNS} FROM pledge p WHERE {where} "
        "AND ($1::bigint IS NULL OR p.seq < $1) ORDER BY p.seq DESC LIMIT $2",
        after,
        limit,
        *values,
    )


async def count_pledges(conn: Executor, filters: PledgeFilter) -> int:
    where, values = filters.where(1)
    return int(await conn.fetchval(f"SELECT count(*) FROM pledge p WHERE {where}", *values))


# --- joint meetings and their decisions -------------------------------------------------------


async def upsert_meeting(
    conn: Connection, activity_id: uuid.UUID, area_code: str, minutes: str | None, by: str
) -> asyncpg.Record:
    """Record a meeting, or record it again (the minutes replaced, the count of records kept)."""
    return required(
        await conn.fetchrow(
            "INSERT INTO joint_meeting (activity_id, area_code, minutes, recorded_by) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (activity_id) DO UPDATE SET minutes = $3, "
            "recorded_by = $4, recorded_at = now(), "
            "record_count = joint_meeting.record_count + 1 "
            "RETURNING activity_id, area_code, minutes, record_count, recorded_by, recorded_at",
            activity_id,
            area_code,
            minutes,
            by,
        )
    )


async def replace_attendees(
    conn: Connection, activity_id: uuid.UUID, attendees: list[tuple[uuid.UUID, str, int]]
) -> None:
    """The attendees as now stated, (organisation, family, count) each."""
    await conn.execute("DELETE FROM joint_meeting_attendee WHERE activity_id = $1", activity_id)
    await conn.execute(
        "INSERT INTO joint_meeting_attendee (activity_id, organization_id, family, "
        "attendee_count) SELECT $1, o, f, n FROM unnest($2::uuid[], $3::text[], $4::int[]) "
        "AS a(o, f, n)",
        activity_id,
        [a[0] for a in attendees],
        [a[1] for a in attendees],
        [a[2] for a in attendees],
    )


async def meetings(
    conn: Executor, activity_ids: list[uuid.UUID]
) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT activity_id, area_code, minutes, record_count, recorded_by, recorded_at "
        "FROM joint_meeting WHERE activity_id = ANY($1::uuid[])",
        activity_ids,
    )
    return {r["activity_id"]: r for r in rows}


async def attendees(
    conn: Executor, activity_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT activity_id, organization_id, family, attendee_count "
        "FROM joint_meeting_attendee WHERE activity_id = ANY($1::uuid[]) "
        "ORDER BY activity_id, array_position("
        "  ARRAY['PARTY', 'TRADE_UNION', 'YOUTH_LEAGUE', 'WOMENS_FEDERATION'], family), "
        "  organization_id",
        activity_ids,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in activity_ids}
    for row in rows:
        found[row["activity_id"]].append(row)
    return found


DECISION_COLUMNS = (
    "d.id, d.seq, d.activity_id, d.area_code, d.content, d.owner_organization_id, d.decided_on, "
    "d.due_on, d.status, d.outcome, d.done_on, d.on_time, d.drop_reason, d.dropped_on, "
    "d.overdue_at, d.created_at"
)


async def insert_decisions(
    conn: Connection,
    activity_id: uuid.UUID,
    area_code: str,
    decided_on: date,
    decisions: list[tuple[uuid.UUID, str, uuid.UUID, date]],
    by: str,
) -> list[asyncpg.Record]:
    """Add decisions, (id, content, owner, due day) each, in the order given."""
    if not decisions:
        return []
    return await conn.fetch(
        "INSERT INTO meeting_decision AS d (id, activity_id, area_code, content, "
        "owner_organization_id, decided_on, due_on, created_by) "
        "SELECT i, $1, $2, c, o, $3, u, $4 FROM unnest($5::uuid[], $6::text[], $7::uuid[], "
        "$8::date[]) WITH ORDINALITY AS x(i, c, o, u, n) ORDER BY n "
        f"RETURNING {DECISION_COLUMNS}",
        activity_id,
        area_code,
        decided_on,
        by,
        [d[0] for d in decisions],
        [d[1] for d in decisions],
        [d[2] for d in decisions],
        [d[3] for d in decisions],
    )


async def decision_for_update(conn: Connection, decision_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {DECISION_COLUMNS}, "
        "(SELECT array_agg(ao.organization_id ORDER BY ao.organization_id) "
        " FROM activity_organizer ao WHERE ao.activity_id = d.activity_id) AS organizer_ids "
        "FROM meeting_decision d WHERE d.id = $1 FOR UPDATE OF d",
        decision_id,
    )


DECISION_UPDATABLE = frozenset(
    {"status", "outcome", "done_on", "on_time", "drop_reason", "dropped_on", "overdue_at"}
)


async def update_decision(
    conn: Connection, decision_id: uuid.UUID, changes: dict[str, Any]
) -> asyncpg.Record:
    names = [n for n in changes if n in DECISION_UPDATABLE]
    if len(names) != len(changes):
        raise ValueError(f"not updatable: {set(changes) - set(names)}")
    sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
    return required(
        await conn.fetchrow(
            f"UPDATE meeting_decision d SET {sets}, updated_at = now() WHERE d.id = $1 "
            f"RETURNING {DECISION_COLUMNS}",
            decision_id,
            *(changes[n] for n in names),
        )
    )


async def overdue_unraised(conn: Connection, today: date, limit: int) -> list[asyncpg.Record]:
    """Open decisions past their due day whose overdue event is not yet raised: locked,
    skipping another replica's."""
    return await conn.fetch(
        f"SELECT {DECISION_COLUMNS} FROM meeting_decision d WHERE d.status = 'OPEN' "
        "AND d.overdue_at IS NULL AND d.due_on < $1 ORDER BY d.due_on, d.seq LIMIT $2 "
        "FOR UPDATE SKIP LOCKED",
        today,
        limit,
    )


async def mark_overdue(conn: Connection, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "UPDATE meeting_decision d SET overdue_at = now(), updated_at = now() "
        f"WHERE d.id = ANY($1::uuid[]) RETURNING {DECISION_COLUMNS}",
        ids,
    )


async def decisions_of_meetings(
    conn: Executor, activity_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await conn.fetch(
        f"SELECT {DECISION_COLUMNS} FROM meeting_decision d "
        "WHERE d.activity_id = ANY($1::uuid[]) ORDER BY d.seq",
        activity_ids,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in activity_ids}
    for row in rows:
        found[row["activity_id"]].append(row)
    return found


@dataclass(frozen=True)
class DecisionFilter:
    """An area's decisions. ``orgs``: an ORG_ADMIN's organisations (decisions they own, or of
    meetings they organised). ``overdue``: open and past ``today``'s due day, most overdue
    first; otherwise newest first."""

    area_like: str
    today: date
    status: str | None = None
    overdue: bool | None = None
    owner_organization_id: uuid.UUID | None = None
    orgs: list[uuid.UUID] | None = None

    def where(self) -> tuple[str, list[Any]]:
        values: list[Any] = [self.area_like]
        parts = ["d.area_code LIKE $1"]

        def param(value: Any) -> str:
            values.append(value)
            return f"${len(values)}"

        if self.status is not None:
            parts.append(f"d.status = {param(self.status)}")
        if self.overdue is True:
            parts.append(f"d.status = 'OPEN' AND d.due_on < {param(self.today)}")
        elif self.overdue is False:
            parts.append(f"NOT (d.status = 'OPEN' AND d.due_on < {param(self.today)})")
        if self.owner_organization_id is not None:
            parts.append(f"d.owner_organization_id = {param(self.owner_organization_id)}")
        if self.orgs is not None:
            p = param(self.orgs)
            parts.append(
                f"(d.owner_organization_id = ANY({p}::uuid[]) OR EXISTS (SELECT 1 FROM "
                "activity_organizer ao WHERE ao.activity_id = d.activity_id "
                f"AND ao.organization_id = ANY({p}::uuid[])))"
            )
        return " AND ".join(parts), values

    @property
    def by_due_day(self) -> bool:
        return self.overdue is True


def decision_position(row: asyncpg.Record, by_due_day: bool) -> tuple[int, int]:
    """A decision's place in its list: (due day number, seq) or (seq, 0)."""
    if by_due_day:
        return (row["due_on"].toordinal(), row["seq"])
    return (row["seq"], 0)


async def decisions_page(
    conn: Executor, filters: DecisionFilter, after: tuple[int, ...] | None, limit: int
) -> list[asyncpg.Record]:
    where, values = filters.where()
    if filters.by_due_day:
        order = "d.due_on, d.seq"
        if after is not None:
            values += [date.fromordinal(after[0]), after[1]]
            where += f" AND (d.due_on, d.seq) > (${len(values) - 1}, ${len(values)})"
    else:
        order = "d.seq DESC"
        if after is not None:
            values.append(after[0])
            where += f" AND d.seq < ${len(values)}"
    values.append(limit)
    return await conn.fetch(
        f"SELECT {DECISION_COLUMNS} FROM meeting_decision d WHERE {where} ORDER BY {order} "
        f"LIMIT ${len(values)}",
        *values,
    )


async def count_decisions(conn: Executor, filters: DecisionFilter) -> int:
    where, values = filters.where()
    return int(
        await conn.fetchval(f"SELECT count(*) FROM meeting_decision d WHERE {where}", *values)
    )


# --- ventures ---------------------------------------------------------------------------------

VENTURE_COLUMNS = (
    "v.id, v.seq, v.leader_person_id, v.kind, v.name, v.unit_id, v.area_code, v.started_on, "
    "v.people_employed, v.people_led, v.as_of, v.created_at"
)


async def insert_venture(conn: Connection, values: dict[str, Any]) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "INSERT INTO venture AS v (id, leader_person_id, kind, name, unit_id, area_code, "
            "started_on, people_employed, people_led, as_of, created_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
            f"RETURNING {VENTURE_COLUMNS}",
            values["id"],
            values["leader_person_id"],
            values["kind"],
            values["name"],
            values["unit_id"],
            values["area_code"],
            values["started_on"],
            values["people_employed"],
            values["people_led"],
            values["as_of"],
            values["created_by"],
        )
    )


async def venture_for_update(conn: Connection, venture_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {VENTURE_COLUMNS} FROM venture v WHERE v.id = $1 FOR UPDATE", venture_id
    )


async def set_venture_figures(
    conn: Connection, venture_id: uuid.UUID, employed: int, led: int, as_of: date
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "UPDATE venture v SET people_employed = $2, people_led = $3, as_of = $4, "
            f"updated_at = now() WHERE v.id = $1 RETURNING {VENTURE_COLUMNS}",
            venture_id,
            employed,
            led,
            as_of,
        )
    )


async def add_venture_update(
    conn: Connection,
    venture_id: uuid.UUID,
    as_of: date,
    employed: int,
    led: int,
    note: str | None,
    by: str,
) -> None:
    await conn.execute(
        "INSERT INTO venture_update (venture_id, as_of, people_employed, people_led, note, "
        "by_subject) VALUES ($1, $2, $3, $4, $5, $6)",
        venture_id,
        as_of,
        employed,
        led,
        note,
        by,
    )


async def venture_updates(
    conn: Executor, venture_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT venture_id, as_of, people_employed, people_led, note, at FROM venture_update "
        "WHERE venture_id = ANY($1::uuid[]) ORDER BY venture_id, as_of, id",
        venture_ids,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in venture_ids}
    for row in rows:
        found[row["venture_id"]].append(row)
    return found


async def ventures_by_id(
    conn: Executor, ids: list[uuid.UUID], area_like: str
) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(
        f"SELECT {VENTURE_COLUMNS} FROM venture v WHERE v.id = ANY($1::uuid[]) "
        "AND v.area_code LIKE $2",
        ids,
        area_like,
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def ventures_page(
    conn: Executor, area_like: str, kind: str | None, after: int | None, limit: int
) -> list[asyncpg.Record]:
    """Newest first."""
    return await conn.fetch(
        f"SELECT {VENTURE_COLUMNS} FROM venture v WHERE v.area_code LIKE $1 "
        "AND ($2::text IS NULL OR v.kind = $2) AND ($3::bigint IS NULL OR v.seq < $3) "
        "ORDER BY v.seq DESC LIMIT $4",
        area_like,
        kind,
        after,
        limit,
    )


async def count_ventures(conn: Executor, area_like: str, kind: str | None) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM venture v WHERE v.area_code LIKE $1 "
            "AND ($2::text IS NULL OR v.kind = $2)",
            area_like,
            kind,
        )
    )
