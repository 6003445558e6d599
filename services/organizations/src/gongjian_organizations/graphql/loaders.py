"""Per-request DataLoaders: one SQL statement per field however many parents ask."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_kit.gql import context_of
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import coverage as coverage_store
from gongjian_organizations.store import leaders as leader_store
from gongjian_organizations.store import organizations as org_store
from gongjian_organizations.store import people as people_store
from gongjian_organizations.store import units as unit_store


def area_by_code(info: Info[Any, Any]) -> DataLoader[str, asyncpg.Record | None]:
    ctx = context_of(info)
    scope = ctx.caller.area_like

    async def load(codes: list[str]) -> list[asyncpg.Record | None]:
        return await area_store.areas_by_code(ctx.runtime.db, codes, scope)

    return ctx.loader("area_by_code", lambda: DataLoader(load_fn=load))


def area_children(info: Info[Any, Any]) -> DataLoader[str, list[asyncpg.Record]]:
    ctx = context_of(info)
    scope = ctx.caller.area_like

    async def load(codes: list[str]) -> list[list[asyncpg.Record]]:
        return await area_store.children_of(ctx.runtime.db, codes, scope)

    return ctx.loader("area_children", lambda: DataLoader(load_fn=load))


def organization_by_id(info: Info[Any, Any]) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    ctx = context_of(info)
    ctx.caller.require_records()
    scope = ctx.caller.area_like

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        return await org_store.organizations_by_id(ctx.runtime.db, ids, scope)

    return ctx.loader("organization_by_id", lambda: DataLoader(load_fn=load))


def units_of_organization(info: Info[Any, Any]) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    ctx = context_of(info)
    ctx.caller.require_records()

    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        return await unit_store.units_of_organizations(ctx.runtime.db, ids)

    return ctx.loader("units_of_organization", lambda: DataLoader(load_fn=load))


def person_by_id(info: Info[Any, Any]) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    """People visible to the caller: whose area lies in the caller's."""
    ctx = context_of(info)
    ctx.caller.require_records()
    scope = ctx.caller.area_like

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        return await people_store.people_by_id(ctx.runtime.db, ids, scope)

    return ctx.loader("person_by_id", lambda: DataLoader(load_fn=load))


def person_of_record(info: Info[Any, Any]) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    """People reached through a record the caller may see (a member or a leader of one of
    their organisations), wherever they live: their personal data stays masked."""
    ctx = context_of(info)

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        return await people_store.people_by_id(ctx.runtime.db, ids, None)

    return ctx.loader("person_of_record", lambda: DataLoader(load_fn=load))


def person_secrets(info: Info[Any, Any]) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    ctx = context_of(info)

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        found = await people_store.secrets_of(ctx.runtime.db, ids)
        return [found.get(i) for i in ids]

    return ctx.loader("person_secrets", lambda: DataLoader(load_fn=load))


def personal_data_audit(info: Info[Any, Any]) -> DataLoader[tuple[uuid.UUID, str], None]:
    """Records each unmasked read (person, field) once per request, in one statement."""
    ctx = context_of(info)
    actor = ctx.caller.subject

    async def load(keys: list[tuple[uuid.UUID, str]]) -> list[None]:
        await people_store.record_reads(ctx.runtime.db, [(actor, p, f) for p, f in keys])
        return [None] * len(keys)

    return ctx.loader("personal_data_audit", lambda: DataLoader(load_fn=load))


def grouped(name: str, fetch: Any) -> Any:
    """A loader for one-to-many fields: ``fetch(db, keys)`` returns a list per key."""

    def make(info: Info[Any, Any]) -> DataLoader[Any, list[asyncpg.Record]]:
        ctx = context_of(info)

        async def load(keys: list[Any]) -> list[list[asyncpg.Record]]:
            result: list[list[asyncpg.Record]] = await fetch(ctx.runtime.db, keys)
            return result

        return ctx.loader(name, lambda: DataLoader(load_fn=load))

    return make


status_history = grouped("status_history", people_store.status_history)
memberships_of_person = grouped("memberships", people_store.memberships_of_people)
leaders_of_organization = grouped(
    "leaders", lambda db, ids: leader_store.leaders_of(db, ids, include_past=True)
)
groups_of_organization = grouped("groups", leader_store.groups_of)
coverage_of_unit = grouped("unit_coverage", coverage_store.coverage_of_units)


def unit_by_id(info: Info[Any, Any]) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    ctx = context_of(info)
    scope = ctx.caller.area_like

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        rows = {r["id"]: r for r in await unit_store.units_by_id(ctx.runtime.db, ids, scope)}
        return [rows.get(i) for i in ids]

    return ctx.loader("unit_by_id", lambda: DataLoader(load_fn=load))


def league_posts(info: Info[Any, Any]) -> DataLoader[uuid.UUID, bool]:
    ctx = context_of(info)

    async def load(ids: list[uuid.UUID]) -> list[bool]:
        holders = await people_store.holds_league_post(ctx.runtime.db, ids)
        return [i in holders for i in ids]

    return ctx.loader("league_posts", lambda: DataLoader(load_fn=load))
