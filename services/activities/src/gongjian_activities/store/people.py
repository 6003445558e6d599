"""The read model of people (ids, area, age band; never names) and their current memberships."""

from __future__ import annotations

import uuid

import asyncpg

from gongjian_kit.db import Connection, Executor


async def upsert_person(
    conn: Connection,
    person_id: uuid.UUID,
    area_code: str,
    age_band: str | None,
    political_status: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO person_ref (id, area_code, age_band, political_status) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET area_code = $2, "
        "age_band = coalesce($3, person_ref.age_band), "
        "political_status = coalesce($4, person_ref.political_status), updated_at = now()",
        person_id,
        area_code,
        age_band,
        political_status,
    )


async def set_political_status(conn: Connection, person_id: uuid.UUID, status: str) -> None:
    await conn.execute(
        "UPDATE person_ref SET political_status = $2, updated_at = now() WHERE id = $1",
        person_id,
        status,
    )


async def start_membership(
    conn: Connection, source_id: uuid.UUID, person_id: uuid.UUID, org_id: uuid.UUID
) -> None:
    await conn.execute(
        "INSERT INTO membership_ref (source_id, person_id, organization_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (source_id) DO NOTHING",
        source_id,
        person_id,
        org_id,
    )


async def end_membership(conn: Connection, source_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM membership_ref WHERE source_id = $1", source_id)


async def people_facts(
    conn: Executor,
    ids: list[uuid.UUID],
    own_orgs: list[uuid.UUID],
    area_like: str,
) -> dict[uuid.UUID, asyncpg.Record]:
    """For each known person: their area, and whether they are a current member or leader of
    one of ``own_orgs`` / of an organisation in ``area_like`` (the facts the policy needs)."""
    rows = await conn.fetch(
        "SELECT p.id, p.area_code, p.age_band, "
        "  EXISTS (SELECT 1 FROM membership_ref m WHERE m.person_id = p.id "
        "    AND m.organization_id = ANY($2::uuid[])) AS in_own_orgs, "
        "  EXISTS (SELECT 1 FROM membership_ref m JOIN organization_ref o "
        "    ON o.id = m.organization_id WHERE m.person_id = p.id "
        "    AND o.area_code LIKE $3) AS in_area_orgs "
        "FROM person_ref p WHERE p.id = ANY($1::uuid[])",
        ids,
        own_orgs,
        area_like,
    )
    return {r["id"]: r for r in rows}


async def person_area(conn: Executor, person_id: uuid.UUID) -> str | None:
    value = await conn.fetchval("SELECT area_code FROM person_ref WHERE id = $1", person_id)
    return str(value) if value is not None else None
