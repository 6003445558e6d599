"""SQL for leaders (带头人) and functional groups (党小组、团小组、工会小组、妇代小组)."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from gongjian_kit.db import Connection, Executor, required

LEADER_COLUMNS = "id, organization_id, person_id, post, term_start, term_end, ended_on"
GROUP_COLUMNS = "id, organization_id, name, kind, created_on, dissolved_on"


async def insert_leader(
    conn: Connection,
    org_id: uuid.UUID,
    person_id: uuid.UUID,
    post: str,
    term_start: date,
    term_end: date,
) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "INSERT INTO leader (id, organization_id, person_id, post, term_start, term_end) "
            f"VALUES ($1, $2, $3, $4, $5, $6) RETURNING {LEADER_COLUMNS}",
            uuid.uuid4(),
            org_id,
            person_id,
            post,
            term_start,
            term_end,
        )
    )


async def end_leader_term(
    conn: Connection, leader_id: uuid.UUID, ended_on: date, scope_like: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "UPDATE leader l SET ended_on = $2 FROM organization o WHERE l.id = $1 "
        "AND o.id = l.organization_id AND o.area_code LIKE $3 AND l.ended_on IS NULL "
        "AND $2 >= l.term_start RETURNING l.id, l.organization_id, l.person_id, l.post, "
        "l.term_start, l.term_end, l.ended_on, o.area_code",
        leader_id,
        ended_on,
        scope_like,
    )


async def leaders_of(
    conn: Executor, org_ids: list[uuid.UUID], include_past: bool
) -> list[list[asyncpg.Record]]:
    rows = await conn.fetch(
        f"SELECT {LEADER_COLUMNS} FROM leader WHERE organization_id = ANY($1::uuid[]) "
        "AND ($2 OR ended_on IS NULL) ORDER BY term_start",
        org_ids,
        include_past,
    )
    grouped: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in org_ids}
    for row in rows:
        grouped[row["organization_id"]].append(row)
    return [grouped[i] for i in org_ids]


async def due_for_reelection(
    conn: Executor,
    area_like: str,
    by: date,
    after: int | None,
    limit: int,
    only_ids: list[uuid.UUID] | None = None,
) -> list[asyncpg.Record]:
    """Organisations whose earliest current term ends by ``by`` (overdue ones first); with
    ``only_ids``, among those organisations only."""
    return await conn.fetch(
        "SELECT o.seq, o.id, min(l.term_end) AS term_end FROM leader l "
        "JOIN organization o ON o.id = l.organization_id "
        "WHERE l.ended_on IS NULL AND l.term_end <= $2 AND o.dissolved_on IS NULL "
        "AND o.area_code LIKE $1 AND o.seq > $3 AND ($5::uuid[] IS NULL OR o.id = ANY($5)) "
        "GROUP BY o.seq, o.id ORDER BY o.seq LIMIT $4",
        area_like,
        by,
        after or 0,
        limit,
        only_ids,
    )


async def count_due_for_reelection(
    conn: Executor, area_like: str, by: date, only_ids: list[uuid.UUID] | None = None
) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(DISTINCT o.id) FROM leader l JOIN organization o "
            "ON o.id = l.organization_id WHERE l.ended_on IS NULL AND l.term_end <= $2 "
            "AND o.dissolved_on IS NULL AND o.area_code LIKE $1 "
            "AND ($3::uuid[] IS NULL OR o.id = ANY($3))",
            area_like,
            by,
            only_ids,
        )
    )


async def insert_group(conn: Connection, org_id: uuid.UUID, name: str, kind: str) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "INSERT INTO functional_group (id, organization_id, name, kind) "
            f"VALUES ($1, $2, $3, $4) RETURNING {GROUP_COLUMNS}",
            uuid.uuid4(),
            org_id,
            name,
            kind,
        )
    )


async def lock_group(
    conn: Connection, group_id: uuid.UUID, scope_like: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT g.id, g.organization_id, g.name, g.kind, g.created_on, g.dissolved_on "
        "FROM functional_group g JOIN organization o ON o.id = g.organization_id "
        "WHERE g.id = $1 AND o.area_code LIKE $2 FOR UPDATE OF g",
        group_id,
        scope_like,
    )


async def dissolve_group(conn: Connection, group_id: uuid.UUID, on: date) -> asyncpg.Record:
    return required(
        await conn.fetchrow(
            "UPDATE functional_group SET dissolved_on = $2 WHERE id = $1 "
            f"RETURNING {GROUP_COLUMNS}",
            group_id,
            on,
        )
    )


async def add_group_member(conn: Connection, group_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "INSERT INTO group_member (group_id, person_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING RETURNING true",
            group_id,
            person_id,
        )
    )


async def groups_of(conn: Executor, org_ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
    rows = await conn.fetch(
        f"SELECT {GROUP_COLUMNS}, (SELECT count(*) FROM group_member m WHERE m.group_id = g.id) "
        "AS member_count FROM functional_group g WHERE organization_id = ANY($1::uuid[]) "
        "ORDER BY created_on, name",
        org_ids,
    )
    grouped: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in org_ids}
    for row in rows:
        grouped[row["organization_id"]].append(row)
    return [grouped[i] for i in org_ids]


async def active_groups_count(conn: Executor, org_id: uuid.UUID) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM functional_group WHERE organization_id = $1 "
            "AND dissolved_on IS NULL",
            org_id,
        )
    )
