"""SQL of pairings (结对), their parties, visits (走访) and the problems visits found."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor, required

PAIRING_COLUMNS = (
    "p.id, p.seq, p.kind, p.title, p.area_code, p.starts_on, p.ends_on, p.goals, p.status, "
    "p.organization_ids, p.party_count, p.visit_count, p.last_visit_on, p.ended_on, "
    "p.end_reason, p.ended_at, p.created_at"
)
VISIT_COLUMNS = (
    "v.id, v.seq, v.pairing_id, v.visited_on, v.visitor_ids, v.notes, v.problem_count, v.created_at"
)
QUIET = "coalesce(p.last_visit_on, p.starts_on)"


async def insert_pairing(
    conn: Connection, values: dict[str, Any], parties: list[dict[str, Any]]
) -> asyncpg.Record:
    """Insert a pairing and its parties (in the order given)."""
    row = required(
        await conn.fetchrow(
            "INSERT INTO pairing AS p (id, kind, title, area_code, starts_on, ends_on, goals, "
            "organization_ids, party_count, created_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
            f"RETURNING {PAIRING_COLUMNS}",
            values["id"],
            values["kind"],
            values["title"],
            values["area_code"],
            values["starts_on"],
            values["ends_on"],
            values["goals"],
            values["organization_ids"],
            len(parties),
            values["created_by"],
        )
    )
    await conn.executemany(
        "INSERT INTO pairing_party (pairing_id, position, kind, ref_id, area_code, role) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (row["id"], i, p["kind"], p["ref_id"], p["area_code"], p["role"])
            for i, p in enumerate(parties)
        ],
    )
    return row


async def pairing_for_update(conn: Connection, pairing_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {PAIRING_COLUMNS} FROM pairing p WHERE p.id = $1 FOR UPDATE", pairing_id
    )


async def end_pairing(
    conn: Connection, pairing_id: uuid.UUID, ended_on: date, reason: str, by: str
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "UPDATE pairing p SET status = 'ENDED', ended_on = $2, end_reason = $3, "
            "ended_at = now(), ended_by = $4, updated_at = now() WHERE p.id = $1 "
            f"RETURNING {PAIRING_COLUMNS}",
            pairing_id,
            ended_on,
            reason,
            by,
        )
    )


async def insert_visit(
    conn: Connection, values: dict[str, Any], problems: list[dict[str, Any]]
) -> asyncpg.Record:
    """Insert a visit with its problems, and count it on its pairing (the last visit's day is
    the latest visited, whatever order visits are logged in)."""
    row = required(
        await conn.fetchrow(
            "INSERT INTO visit AS v (id, pairing_id, visited_on, visitor_ids, notes, "
            "problem_count, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            f"RETURNING {VISIT_COLUMNS}",
            values["id"],
            values["pairing_id"],
            values["visited_on"],
            values["visitor_ids"],
            values["notes"],
            len(problems),
            values["created_by"],
        )
    )
    await conn.executemany(
        "INSERT INTO visit_problem (visit_id, position, title, description, case_id) "
        "VALUES ($1, $2, $3, $4, $5)",
        [
            (row["id"], i, p["title"], p["description"], p["case_id"])
            for i, p in enumerate(problems)
        ],
    )
    await conn.execute(
        "UPDATE pairing SET visit_count = visit_count + 1, "
        "last_visit_on = greatest(last_visit_on, $2), updated_at = now() WHERE id = $1",
        values["pairing_id"],
        values["visited_on"],
    )
    return row


async def pairings_by_id(conn: Executor, ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(
        f"SELECT {PAIRING_COLUMNS} FROM pairing p WHERE p.id = ANY($1::uuid[])", ids
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def parties_of(
    conn: Executor, pairing_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT pairing_id, position, kind, ref_id, area_code, role FROM pairing_party "
        "WHERE pairing_id = ANY($1::uuid[]) ORDER BY pairing_id, position",
        pairing_ids,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in pairing_ids}
    for row in rows:
        found[row["pairing_id"]].append(row)
    return found


async def visits_by_id(conn: Executor, ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
    rows = await conn.fetch(
        f"SELECT {VISIT_COLUMNS} FROM visit v WHERE v.id = ANY($1::uuid[])", ids
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def problems_of(
    conn: Executor, visit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT visit_id, position, title, description, case_id FROM visit_problem "
        "WHERE visit_id = ANY($1::uuid[]) ORDER BY visit_id, position",
        visit_ids,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in visit_ids}
    for row in rows:
        found[row["visit_id"]].append(row)
    return found


def visit_position(row: asyncpg.Record) -> tuple[int, int]:
    """A visit's place in its pairing's list, newest first: (day number, seq)."""
    return (row["visited_on"].toordinal(), row["seq"])


async def visits_of_pairings(
    conn: Executor, pairing_ids: list[uuid.UUID], after: tuple[int, ...] | None, limit: int
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    """Up to ``limit`` visits per pairing after a position, newest first, one statement."""
    rows = await conn.fetch(
        "SELECT v.* FROM unnest($1::uuid[]) AS x(pairing_id) CROSS JOIN LATERAL ("
        f"  SELECT {VISIT_COLUMNS} FROM visit v WHERE v.pairing_id = x.pairing_id "
        "   AND ($2::date IS NULL OR (v.visited_on, v.seq) < ($2, $3)) "
        "   ORDER BY v.visited_on DESC, v.seq DESC LIMIT $4) v",
        pairing_ids,
        date.fromordinal(after[0]) if after is not None else None,
        after[1] if after is not None else 0,
        limit,
    )
    found: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in pairing_ids}
    for row in rows:
        found[row["pairing_id"]].append(row)
    return found


@dataclass(frozen=True)
class PairingFilter:
    """What a list of pairings asks for, within the caller's reach.

    ``orgs``: an ORG_ADMIN's organisations (pairings where one of them is a party).
    ``quiet_on_or_before``: active pairings not visited since that day (nor started after it),
    longest quiet first; otherwise newest first.
    """

    area_like: str
    kind: str | None = None
    status: str | None = None
    orgs: list[uuid.UUID] | None = None
    quiet_on_or_before: date | None = None

    def where(self) -> tuple[str, list[Any]]:
        values: list[Any] = [self.area_like]
        parts = ["p.area_code LIKE $1"]

        def param(value: Any) -> str:
            values.append(value)
            return f"${len(values)}"

        if self.kind is not None:
            parts.append(f"p.kind = {param(self.kind)}")
        if self.status is not None:
            parts.append(f"p.status = {param(self.status)}")
        if self.orgs is not None:
            parts.append(f"p.organization_ids && {param(self.orgs)}::uuid[]")
        if self.quiet_on_or_before is not None:
            parts.append(f"p.status = 'ACTIVE' AND {QUIET} <= {param(self.quiet_on_or_before)}")
        return " AND ".join(parts), values

    @property
    def by_quiet(self) -> bool:
        return self.quiet_on_or_before is not None


def position(row: asyncpg.Record, by_quiet: bool) -> tuple[int, int]:
    """A pairing's place in its list: (quiet since, as a day number; seq) or (seq, 0)."""
    if by_quiet:
        quiet = row["last_visit_on"] or row["starts_on"]
        return (quiet.toordinal(), row["seq"])
    return (row["seq"], 0)


async def pairings_page(
    conn: Executor, filters: PairingFilter, after: tuple[int, ...] | None, limit: int
) -> list[asyncpg.Record]:
    where, values = filters.where()
    if filters.by_quiet:
        order = f"{QUIET}, p.seq"
        if after is not None:
            values += [date.fromordinal(after[0]), after[1]]
            where += f" AND ({QUIET}, p.seq) > (${len(values) - 1}, ${len(values)})"
    else:
        order = "p.seq DESC"
        if after is not None:
            values.append(after[0])
            where += f" AND p.seq < ${len(values)}"
    values.append(limit)
    return await conn.fetch(
        f"SELECT {PAIRING_COLUMNS} FROM pairing p WHERE {where} ORDER BY {order} "
        f"LIMIT ${len(values)}",
        *values,
    )


async def count_pairings(conn: Executor, filters: PairingFilter) -> int:
    where, values = filters.where()
    return int(await conn.fetchval(f"SELECT count(*) FROM pairing p WHERE {where}", *values))


async def known_people(conn: Executor, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these people this service has heard of (person_ref)."""
    rows = await conn.fetch("SELECT id FROM person_ref WHERE id = ANY($1::uuid[])", ids)
    return {r["id"] for r in rows}
