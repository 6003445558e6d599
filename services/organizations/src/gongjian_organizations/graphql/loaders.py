"""Per-request DataLoaders: one SQL statement per field however many parents ask."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_kit import policy
from gongjian_kit.gql import RequestContext, context_of
from gongjian_kit.policy import Action, Reach, Resource
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import audit as audit_store
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


def record_reach(ctx: RequestContext) -> Reach:
    """Where the caller's RECORDS right reaches (FORBIDDEN when it does not exist)."""
    return policy.reach(ctx.caller, Resource.RECORDS)


def person_sight(ctx: RequestContext) -> people_store.PersonSight:
    """What the people SQL must know of the caller (see ``PersonSight``)."""
    return people_store.sight_of(ctx.caller)


def organization_by_id(info: Info[Any, Any]) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    """Organisations the caller's records reach: in the area, and their own only for ORG_ADMIN."""
    ctx = context_of(info)

    def make() -> DataLoader[uuid.UUID, asyncpg.Record | None]:
        reach = record_reach(ctx)

        async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
            return await org_store.organizations_by_id(
                ctx.runtime.db, ids, reach.area_like, reach.organizations_only
            )

        return DataLoader(load_fn=load)

    return ctx.loader("organization_by_id", make)


def units_of_organization(info: Info[Any, Any]) -> DataLoader[uuid.UUID, list[asyncpg.Record]]:
    """The units an (admitted) organisation covers."""
    ctx = context_of(info)

    async def load(ids: list[uuid.UUID]) -> list[list[asyncpg.Record]]:
        return await unit_store.units_of_organizations(ctx.runtime.db, ids)

    return ctx.loader("units_of_organization", lambda: DataLoader(load_fn=load))


def person_by_id(info: Info[Any, Any]) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    """People the caller may see (PERSON_NAME's reach), with the facts their grants need."""
    ctx = context_of(info)

    def make() -> DataLoader[uuid.UUID, asyncpg.Record | None]:
        sight = person_sight(ctx)

        async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
            return await people_store.people_by_id(ctx.runtime.db, ids, sight)

        return DataLoader(load_fn=load)

    return ctx.loader("person_by_id", make)


def person_secrets(info: Info[Any, Any]) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    ctx = context_of(info)

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        found = await people_store.secrets_of(ctx.runtime.db, ids)
        return [found.get(i) for i in ids]

    return ctx.loader("person_secrets", lambda: DataLoader(load_fn=load))


def personal_data_audit(info: Info[Any, Any]) -> DataLoader[tuple[uuid.UUID, str], None]:
    """Records each unmasked read (person, field) once per request, in one statement."""
    ctx = context_of(info)

    async def load(keys: list[tuple[uuid.UUID, str]]) -> list[None]:
        await audit_store.record(
            ctx.runtime.db,
            audit_store.Trail.of(ctx.caller, ctx.request_id),
            [audit_store.Entry(f, audit_store.Reason.UNMASKED_READ, person_id=p) for p, f in keys],
        )
        return [None] * len(keys)

    return ctx.loader("personal_data_audit", lambda: DataLoader(load_fn=load))


MemberPage = tuple[uuid.UUID, int | None, int]  # organisation, after (seq), limit


def members_pages(info: Info[Any, Any]) -> DataLoader[MemberPage, list[asyncpg.Record]]:
    """Pages of current members, for every organisation asked in one statement (per distinct
    page position, which in practice is one)."""
    ctx = context_of(info)

    def make() -> DataLoader[MemberPage, list[asyncpg.Record]]:
        listed = policy.reach(ctx.caller, Resource.PERSON_NAME)

        async def load(keys: list[MemberPage]) -> list[list[asyncpg.Record]]:
            found = await people_store.members_pages(ctx.runtime.db, keys, listed)
            return [found.get(k, []) for k in keys]

        return DataLoader(load_fn=load)

    return ctx.loader("members_pages", make)


def members_count(info: Info[Any, Any]) -> DataLoader[uuid.UUID, int]:
    ctx = context_of(info)

    def make() -> DataLoader[uuid.UUID, int]:
        listed = policy.reach(ctx.caller, Resource.PERSON_NAME)

        async def load(ids: list[uuid.UUID]) -> list[int]:
            counts = await people_store.count_members(ctx.runtime.db, ids, listed)
            return [counts.get(i, 0) for i in ids]

        return DataLoader(load_fn=load)

    return ctx.loader("members_count", make)


def area_coverage(info: Info[Any, Any]) -> DataLoader[str, list[asyncpg.Record]]:
    """The maintained coverage figures of areas (checked to lie in the caller's area first)."""
    ctx = context_of(info)

    def make() -> DataLoader[str, list[asyncpg.Record]]:
        policy.require(ctx.caller, Resource.FIGURES, Action.READ)

        async def load(codes: list[str]) -> list[list[asyncpg.Record]]:
            return await coverage_store.area_coverage(ctx.runtime.db, codes)

        return DataLoader(load_fn=load)

    return ctx.loader("area_coverage", make)


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
    """Units the caller's records reach: in the area, covered by their own organisations only
    for ORG_ADMIN."""
    ctx = context_of(info)

    def make() -> DataLoader[uuid.UUID, asyncpg.Record | None]:
        reach = record_reach(ctx)

        async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
            rows = await unit_store.units_by_id(
                ctx.runtime.db, ids, reach.area_like, reach.organizations_only
            )
            found = {r["id"]: r for r in rows}
            return [found.get(i) for i in ids]

        return DataLoader(load_fn=load)

    return ctx.loader("unit_by_id", make)


def league_posts(info: Info[Any, Any]) -> DataLoader[uuid.UUID, bool]:
    ctx = context_of(info)

    async def load(ids: list[uuid.UUID]) -> list[bool]:
        holders = await people_store.holds_league_post(ctx.runtime.db, ids)
        return [i in holders for i in ids]

    return ctx.loader("league_posts", lambda: DataLoader(load_fn=load))
