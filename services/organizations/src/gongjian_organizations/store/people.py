"""SQL for people, their political status, memberships and the audit of personal data reads."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from gongjian_kit import policy
from gongjian_kit.auth import Caller
from gongjian_kit.db import Connection, Executor
from gongjian_kit.policy import Reach, Resource, Scope

PERSON_COLUMNS = (
    "p.id, p.seq, p.name, p.gender, p.birth_date, p.political_status, "
    "p.employer_unit_id, p.area_code, p.migrant_worker, p.id_number_masked, "
    "p.phone_masked"
)

# Whether a person (``{pid}``) is a current member or leader of the organisations that
# ``{orgs}`` selects: the facts behind the OWN_ORGS and ORGS_IN_AREA scopes of the policy.
_KEPT_BY = (
    "(EXISTS (SELECT 1 FROM membership km JOIN organization ko ON ko.id = km.organization_id "
    "WHERE km.person_id = {pid} AND km.until IS NULL AND {orgs}) "
    "OR EXISTS (SELECT 1 FROM leader kl JOIN organization ko ON ko.id = kl.organization_id "
    "WHERE kl.person_id = {pid} AND kl.ended_on IS NULL AND {orgs}))"
)


@dataclass(frozen=True)
class PersonSight:
    """What the SQL needs to know to tell which people a caller sees and how much of them.

    ``facts`` is the union of the caller's scopes over people's data: the columns ``in_own_orgs``
    and ``in_area_orgs`` are computed only when a scope needs them. ``listed`` is the reach of
    PERSON_NAME: a person is returned at all only within it.
    """

    area_like: str
    own_orgs: tuple[uuid.UUID, ...] | None
    orgs_in_area: bool
    listed: Reach


def sight_of(caller: Caller) -> PersonSight:
    """What the people SQL must know of this caller."""
    scopes = policy.person_fact_scopes(caller)
    return PersonSight(
        area_like=caller.area_like,
        own_orgs=caller.org_ids if Scope.OWN_ORGS in scopes else None,
        orgs_in_area=Scope.ORGS_IN_AREA in scopes,
        listed=policy.reach(caller, Resource.PERSON_NAME),
    )


def _arg(args: list[Any], value: Any) -> str:
    args.append(value)
    return f"${len(args)}"


def fact_columns(sight: PersonSight, args: list[Any], pid: str = "p.id") -> str:
    """The ``in_own_orgs`` and ``in_area_orgs`` columns for the person ``pid``."""
    own = "NULL::boolean"
    if sight.own_orgs is not None:
        orgs = f"ko.id = ANY({_arg(args, list(sight.own_orgs))}::uuid[]) AND ko.area_code LIKE "
        own = _KEPT_BY.format(pid=pid, orgs=orgs + _arg(args, sight.area_like))
    in_area = "NULL::boolean"
    if sight.orgs_in_area:
        in_area = _KEPT_BY.format(pid=pid, orgs=f"ko.area_code LIKE {_arg(args, sight.area_like)}")
    return f"{own} AS in_own_orgs, {in_area} AS in_area_orgs"


def visible_sql(
    reach: Reach, args: list[Any], pid: str = "p.id", parea: str = "p.area_code"
) -> str:
    """The condition a person (id ``pid``, area ``parea``) meets when ``reach`` admits them."""
    terms = []
    if reach.area:
        terms.append(f"{parea} LIKE {_arg(args, reach.area_like)}")
    if reach.self_id is not None:
        terms.append(f"{pid} = {_arg(args, reach.self_id)}")
    if reach.own_orgs:
        # Uncorrelated, so a hashed subplan: the organisations' people are found once.
        orgs = _arg(args, list(reach.own_orgs))
        area = _arg(args, reach.area_like)
        terms.append(
            f"{pid} IN (SELECT km.person_id FROM membership km JOIN organization ko "
            f"ON ko.id = km.organization_id WHERE km.until IS NULL AND ko.id = ANY({orgs}::uuid[]) "
            f"AND ko.area_code LIKE {area} UNION ALL SELECT kl.person_id FROM leader kl "
            f"JOIN organization ko ON ko.id = kl.organization_id WHERE kl.ended_on IS NULL "
            f"AND ko.id = ANY({orgs}::uuid[]) AND ko.area_code LIKE {area})"
        )
    if reach.orgs_in_area:
        terms.append(
            _KEPT_BY.format(pid=pid, orgs=f"ko.area_code LIKE {_arg(args, reach.area_like)}")
        )
    return "(" + " OR ".join(terms) + ")" if terms else "false"


async def person_by_hash(conn: Executor, id_hash: bytes) -> uuid.UUID | None:
    """The person registered with this ID number (by its keyed hash), whoever may see them."""
    found: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM person WHERE id_number_hash = $1", id_hash
    )
    return found


async def persons_by_hash(
    conn: Executor, hashes: list[bytes], sight: PersonSight
) -> dict[bytes, tuple[uuid.UUID, bool]]:
    """People already registered with these hashes: (id, whether the caller may see them)."""
    args: list[Any] = [hashes]
    rows = await conn.fetch(
        f"SELECT p.id, p.id_number_hash, {visible_sql(sight.listed, args)} AS visible "
        "FROM person p WHERE p.id_number_hash = ANY($1::bytea[])",
        *args,
    )
    return {bytes(r["id_number_hash"]): (r["id"], bool(r["visible"])) for r in rows}


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
    conn: Executor, ids: list[uuid.UUID], sight: PersonSight
) -> list[asyncpg.Record | None]:
    """People in the keys' order, with the facts of their grants; None where missing or not
    visible to the caller."""
    args: list[Any] = [ids]
    rows = await conn.fetch(
        f"SELECT {PERSON_COLUMNS}, {fact_columns(sight, args)} FROM person p "
        f"WHERE p.id = ANY($1::uuid[]) AND {visible_sql(sight.listed, args)}",
        *args,
    )
    found = {r["id"]: r for r in rows}
    return [found.get(i) for i in ids]


def _people_where(
    area_like: str, name_prefix: str | None, sight: PersonSight, args: list[Any]
) -> str:
    where = f"p.area_code LIKE {_arg(args, area_like)} AND {visible_sql(sight.listed, args)}"
    if name_prefix is not None:
        where += f" AND p.name LIKE {_arg(args, name_prefix)} || '%'"
    return where


async def people_page(
    conn: Executor,
    area_like: str,
    name_prefix: str | None,
    after: int | None,
    limit: int,
    sight: PersonSight,
) -> list[asyncpg.Record]:
    args: list[Any] = []
    where = _people_where(area_like, name_prefix, sight, args)
    facts = fact_columns(sight, args)
    return await conn.fetch(
        f"SELECT {PERSON_COLUMNS}, {facts} FROM person p WHERE {where} "
        f"AND p.seq > {_arg(args, after or 0)} ORDER BY p.seq LIMIT {_arg(args, limit)}",
        *args,
    )


async def count_people(
    conn: Executor, area_like: str, name_prefix: str | None, sight: PersonSight
) -> int:
    args: list[Any] = []
    where = _people_where(area_like, name_prefix, sight, args)
    return int(await conn.fetchval(f"SELECT count(*) FROM person p WHERE {where}", *args))


async def secrets_of(conn: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(
        "SELECT id, id_number_enc, phone_enc FROM person WHERE id = ANY($1::uuid[])", ids
    )
    return {r["id"]: r for r in rows}


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


async def members_pages(
    conn: Executor, pages: list[tuple[uuid.UUID, int | None, int]], listed: Reach
) -> dict[tuple[uuid.UUID, int | None, int], list[asyncpg.Record]]:
    """Current members of several organisations, a page of each (organisation, after, limit),
    in one statement: only the members the caller may see (``listed``, PERSON_NAME)."""
    args: list[Any] = [
        [p[0] for p in pages],
        [p[1] or 0 for p in pages],
        [p[2] for p in pages],
    ]
    visible = visible_sql(listed, args, pid="m.person_id", parea="mp.area_code")
    rows = await conn.fetch(
        "SELECT k.organization_id AS page_org, k.after AS page_after, k.lim AS page_limit, m.* "
        "FROM unnest($1::uuid[], $2::bigint[], $3::int[]) AS k(organization_id, after, lim) "
        "CROSS JOIN LATERAL ("
        f"  SELECT {', '.join('m.' + c for c in MEMBERSHIP_COLUMNS.split(', '))} "
        "   FROM membership m JOIN person mp ON mp.id = m.person_id "
        "   WHERE m.organization_id = k.organization_id AND m.until IS NULL "
        f"  AND m.seq > k.after AND {visible} ORDER BY m.seq LIMIT k.lim) m",
        *args,
    )
    grouped: dict[tuple[uuid.UUID, int | None, int], list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        grouped[(row["page_org"], row["page_after"] or None, row["page_limit"])].append(row)
    return grouped


async def count_members(
    conn: Executor, org_ids: list[uuid.UUID], listed: Reach
) -> dict[uuid.UUID, int]:
    """Current members the caller may see, per organisation, in one statement."""
    args: list[Any] = [org_ids]
    visible = visible_sql(listed, args, pid="m.person_id", parea="mp.area_code")
    rows = await conn.fetch(
        "SELECT m.organization_id, count(*) AS n FROM membership m "
        "JOIN person mp ON mp.id = m.person_id WHERE m.organization_id = ANY($1::uuid[]) "
        f"AND m.until IS NULL AND {visible} GROUP BY m.organization_id",
        *args,
    )
    return {r["organization_id"]: r["n"] for r in rows}


async def holds_league_post(conn: Executor, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT DISTINCT l.person_id FROM leader l JOIN organization o ON o.id = l.organization_id "
        "WHERE l.person_id = ANY($1::uuid[]) AND l.ended_on IS NULL AND o.family = 'YOUTH_LEAGUE'",
        ids,
    )
    return {r["person_id"] for r in rows}
