"""SQL for people, their political status, memberships and the audit of personal data reads."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from gongjian_kit.db import Connection, Executor

PERSON_COLUMNS = (
    "p.id, p.seq, p.name, p.gender, p.birth_date, p.political_status, "
    "p.employer_unit_id, p.area_code, p.migrant_worker, p.id_number_masked, "
    "p.phone_masked"
)


async def person_by_hash(conn: Executor, id_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, name, area_code FROM person WHERE id_number_hash = $1", id_hash
    )


async def persons_by_hash(conn: Executor, hashes: list[bytes]) -> dict[bytes, uuid.UUID]:
    rows = await conn.fetch(
        "SELECT id, id_number_hash FROM person WHERE id_number_hash = ANY($1::bytea[])", hashes
    )
    return {bytes(r["id_number_hash"]): r["id"] for r in rows}


PERSON_INSERT = (
    "INSERT INTO person (id, name, gender, birth_date, political_status, employer_unit_id, "
    "area_code, migrant_worker, id_number_hash, id_number_enc, id_number_masked, phone_enc, "
    "phone_masked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)
STATUS_INSERT = (
    "INSERT INTO political_status_change (person_id, status, since, recorded_by) "
    "VALUES ($1, $2, $3, $4)"
)


async def insert_people(
    conn: Connection, rows: list[tuple[Any, ...]], statuses: list[tuple[Any, ...]]
) -> None:
    """Insert many people (``PERSON_INSERT`` tuples) and their first political status."""
    await conn.executemany(PERSON_INSERT, rows)
    await conn.executemany(STATUS_INSERT, statuses)


async def people_by_id(
    conn: Executor, ids: list[uuid.UUID], scope_like: str | None
) -> list[asyncpg.Record | None]:
    """People in the keys' order; with a scope, only those whose area lies in it."""
    rows = await conn.fetch(
        f"SELECT {PERSON_COLUMNS} FROM person p WHERE p.id = ANY($1::uuid[]) "
        "AND ($2::text IS NULL OR p.area_code LIKE $2)",
        ids,
        scope_like,
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


async def people_page(
    conn: Executor, area_like: str, name_prefix: str | None, after: int | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {PERSON_COLUMNS} FROM person p WHERE p.area_code LIKE $1 AND p.seq > $2 "
        "AND ($4::text IS NULL OR p.name LIKE $4 || '%') ORDER BY p.seq LIMIT $3",
        area_like,
        after or 0,
        limit,
        name_prefix,
    )


async def count_people(conn: Executor, area_like: str, name_prefix: str | None) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM person WHERE area_code LIKE $1 "
            "AND ($2::text IS NULL OR name LIKE $2 || '%')",
            area_like,
            name_prefix,
        )
    )


async def secrets_of(conn: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT id, id_number_enc, phone_enc FROM person WHERE id = ANY($1::uuid[])", ids
    )
    return {r["id"]: r for r in rows}


async def record_reads(conn: Executor, reads: list[tuple[str, uuid.UUID, str]]) -> None:
    """Audit: (actor, person, field) for each unmasked value returned."""
    await conn.executemany(
        "INSERT INTO personal_data_access (actor, person_id, field) VALUES ($1, $2, $3)", reads
    )


async def lock_person(
    conn: Connection, person_id: uuid.UUID, scope_like: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {PERSON_COLUMNS} FROM person p WHERE p.id = $1 AND p.area_code LIKE $2 FOR UPDATE",
        person_id,
        scope_like,
    )


async def change_status(
    conn: Connection, person_id: uuid.UUID, status: str, since: date, actor: str
) -> None:
    await conn.execute("UPDATE person SET political_status = $2 WHERE id = $1", person_id, status)
    await conn.execute(STATUS_INSERT, person_id, status, since, actor)


async def status_history(conn: Executor, ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
    rows = await conn.fetch(
        "SELECT person_id, status, since FROM political_status_change "
        "WHERE person_id = ANY($1::uuid[]) ORDER BY since, recorded_at",
        ids,
    )
    grouped: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in ids}
    for row in rows:
        grouped[row["person_id"]].append(row)
    return [grouped[i] for i in ids]


MEMBERSHIP_COLUMNS = "id, seq, person_id, organization_id, role, since, until"


async def insert_membership(
    conn: Connection, person_id: uuid.UUID, org_id: uuid.UUID, role: str, since: date
) -> asyncpg.Record | None:
    """None when the person is already an active member."""
    return await conn.fetchrow(
        "INSERT INTO membership (id, person_id, organization_id, role, since) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING "
        f"RETURNING {MEMBERSHIP_COLUMNS}",
        uuid.uuid4(),
        person_id,
        org_id,
        role,
        since,
    )


async def end_membership(
    conn: Connection, membership_id: uuid.UUID, until: date, scope_like: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "UPDATE membership m SET until = $2 FROM organization o "
        "WHERE m.id = $1 AND o.id = m.organization_id AND o.area_code LIKE $3 "
        "AND m.until IS NULL AND $2 >= m.since "
        f"RETURNING m.{MEMBERSHIP_COLUMNS.replace(', ', ', m.')}, o.area_code",
        membership_id,
        until,
        scope_like,
    )


async def memberships_of_people(conn: Executor, ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
    rows = await conn.fetch(
        f"SELECT {MEMBERSHIP_COLUMNS} FROM membership WHERE person_id = ANY($1::uuid[]) "
        "ORDER BY since",
        ids,
    )
    grouped: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in ids}
    for row in rows:
        grouped[row["person_id"]].append(row)
    return [grouped[i] for i in ids]


async def members_page(
    conn: Executor, org_id: uuid.UUID, after: int | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {MEMBERSHIP_COLUMNS} FROM membership WHERE organization_id = $1 "
        "AND until IS NULL AND seq > $2 ORDER BY seq LIMIT $3",
        org_id,
        after or 0,
        limit,
    )


async def count_members(conn: Executor, org_id: uuid.UUID) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM membership WHERE organization_id = $1 AND until IS NULL", org_id
        )
    )


async def holds_league_post(conn: Executor, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT DISTINCT l.person_id FROM leader l JOIN organization o ON o.id = l.organization_id "
        "WHERE l.person_id = ANY($1::uuid[]) AND l.ended_on IS NULL AND o.family = 'YOUTH_LEAGUE'",
        ids,
    )
    return {r["person_id"] for r in rows}
