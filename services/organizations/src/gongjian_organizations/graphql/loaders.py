"""Per-request DataLoaders: one SQL statement per field however many parents ask."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_kit.gql import context_of
from gongjian_organizations.store import areas as area_store
from gongjian_organizations.store import organizations as org_store
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
