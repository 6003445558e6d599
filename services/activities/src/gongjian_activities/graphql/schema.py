"""The activities subgraph: activities, and `Organization.activities`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_activities import usecases
from gongjian_activities.domain import activities as domain
from gongjian_activities.graphql.access import FIELD_RULES
from gongjian_activities.store import activities as store
from gongjian_kit import guard, policy
from gongjian_kit.errors import ApiError
from gongjian_kit.gql import (
    Connection,
    RequestContext,
    UserError,
    build_schema,
    context_of,
    decode_cursor,
    make_connection,
    page_size,
    seq_page,
    user_error_from,
)
from gongjian_kit.policy import Reach, Resource
from gongjian_kit.settings import ServiceSettings

LineOfWork = strawberry.enum(
    domain.LineOfWork, name="LineOfWork", description="五项工作 / The five lines of work"
)
ActivityCategory = strawberry.enum(
    domain.ActivityCategory, name="ActivityCategory", description="活动类别 / Activity category"
)
ActivityStatus = strawberry.enum(
    domain.ActivityStatus, name="ActivityStatus", description="活动状态 / Activity status"
)


@strawberry.federation.type(keys=["id"], description="活动 / Activity")
class Activity:
    id: strawberry.ID
    title: str
    line: LineOfWork  # type: ignore[valid-type]
    category: ActivityCategory  # type: ignore[valid-type]
    area_code: str
    starts_at: datetime
    ends_at: datetime | None
    place: str | None
    status: ActivityStatus  # type: ignore[valid-type]
    organizer_ids: strawberry.Private[list[uuid.UUID]]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Activity:
        return cls(
            id=strawberry.ID(str(row["id"])),
            title=row["title"],
            line=domain.LineOfWork(row["line"]),
            category=domain.ActivityCategory(row["category"]),
            area_code=row["area_code"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            place=row["place"],
            status=domain.ActivityStatus(row["status"]),
            organizer_ids=list(row["organizer_ids"] or []),
        )

    @strawberry.field
    def line_label(self) -> str:
        return domain.LINE_LABELS[domain.LineOfWork(self.line)]

    @strawberry.field
    def category_label(self) -> str:
        return domain.CATEGORY_LABELS[domain.ActivityCategory(self.category)]

    @strawberry.field
    def status_label(self) -> str:
        return domain.STATUS_LABELS[domain.ActivityStatus(self.status)]

    @strawberry.field(
        description="主办组织（仅含您可见者）/ Organising organisations (those you may see)"
    )
    async def organizers(self, info: Info) -> list[Organization]:
        refs = await _organization_refs(context_of(info)).load_many(self.organizer_ids)
        reach = _records(context_of(info))
        return [
            Organization(id=strawberry.ID(str(org_id)))
            for org_id, ref in zip(self.organizer_ids, refs, strict=True)
            if ref is not None and reach.admits_organization(org_id, ref["area_code"])
        ]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Activity | None:
        ctx = context_of(info)
        reach = _records(ctx)

        async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
            return await store.activities_by_id(
                ctx.runtime.db, ids, reach.area_like, reach.organizations_only
            )

        key = guard.id_or_none(id)
        if key is None:
            return None
        row = await ctx.loader("activity_by_id", lambda: DataLoader(load_fn=load)).load(key)
        return cls.from_row(row) if row else None


def _records(ctx: RequestContext) -> Reach:
    """Where the caller's records reach: the area, and for ORG_ADMIN its own organisations."""
    return policy.reach(ctx.caller, Resource.RECORDS)


def _organization_refs(ctx: RequestContext) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    """The organisations this service has heard of (their areas), in one statement."""

    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        found = await store.organization_refs(ctx.runtime.db, ids)
        return [found.get(i) for i in ids]

    return ctx.loader("organization_refs", lambda: DataLoader(load_fn=load))


@strawberry.federation.type(keys=["id"], description="组织（活动视角）/ Organisation")
class Organization:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organization:
        return cls(id=strawberry.ID(str(guard.parse_id(id))))

    @strawberry.field(
        description="该组织主办的活动，最新的在前 / Activities it organised, newest first"
    )
    async def activities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Activity]:
        ctx = context_of(info)
        reach = _records(ctx)
        scope = reach.area_like
        limit, position = page_size(first), decode_cursor(after)
        org_id = uuid.UUID(self.id)
        if not reach.area and org_id not in (reach.own_orgs or ()):
            # Not one of an ORG_ADMIN's organisations: nothing of it (its area is the
            # organizations service's to check, which does so before the gateway asks here).
            return make_connection([], [], limit, position is not None, _no_count)

        async def load_pages(keys: list[tuple[uuid.UUID, int | None, int]]) -> list[Any]:
            # Keys share (after, limit) in practice: one statement per distinct pair.
            results: dict[tuple[uuid.UUID, int | None, int], list[asyncpg.Record]] = {}
            for pos, lim in {(k[1], k[2]) for k in keys}:
                ids = [k[0] for k in keys if k[1] == pos and k[2] == lim]
                grouped = await store.activities_of_organizations(
                    ctx.runtime.db, ids, scope, pos, lim
                )
                for org_id in ids:
                    results[(org_id, pos, lim)] = grouped.get(org_id, [])
            return [results[k] for k in keys]

        async def load_counts(ids: list[uuid.UUID]) -> list[int]:
            counts = await store.count_activities_of_organizations(ctx.runtime.db, ids, scope)
            return [counts.get(i, 0) for i in ids]

        pages = ctx.loader("org_activities", lambda: DataLoader(load_fn=load_pages))
        counts = ctx.loader("org_activity_counts", lambda: DataLoader(load_fn=load_counts))
        rows = await pages.load((org_id, position, limit + 1))
        return make_connection(
            [Activity.from_row(r) for r in rows],
            [r["seq"] for r in rows],
            limit,
            position is not None,
            lambda: counts.load(org_id),
        )


@strawberry.type
class Query:
    @strawberry.field(description="区划内的活动（含下级）/ Activities in an area and beneath it")
    async def activities(
        self,
        info: Info,
        area_code: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Activity]:
        ctx = context_of(info)
        only = _records(ctx).organizations_only
        like = ctx.caller.scope_like(area_code)
        return await seq_page(
            first,
            after,
            lambda pos, lim: store.activities_page(ctx.runtime.db, like, pos, lim, only),
            Activity.from_row,
            lambda: store.count_activities(ctx.runtime.db, like, only),
        )

    @strawberry.field(description="按编号查活动 / An activity by id")
    async def activity(self, info: Info, id: strawberry.ID) -> Activity | None:
        return await Activity.resolve_reference(info, id)


@strawberry.input
class CreateActivityInput:
    title: str
    line: LineOfWork  # type: ignore[valid-type]
    category: ActivityCategory  # type: ignore[valid-type]
    organizer_ids: list[strawberry.ID]
    area_code: str
    starts_at: datetime
    ends_at: datetime | None = None
    place: str | None = None


@strawberry.type
class CreateActivityPayload:
    activity: Activity | None
    errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="登记活动 / Log an activity")
    async def create_activity(
        self, info: Info, input: CreateActivityInput
    ) -> CreateActivityPayload:
        ctx = context_of(info)
        ids: list[uuid.UUID] = []
        for i, raw in enumerate(input.organizer_ids):
            try:
                ids.append(guard.parse_id(raw, f"organizerIds[{i}]"))
            except ApiError as exc:
                return CreateActivityPayload(activity=None, errors=[user_error_from(exc)])
        row, errors = await usecases.create_activity(
            ctx.runtime,
            ctx.caller,
            title=input.title,
            line=domain.LineOfWork(input.line),
            category=domain.ActivityCategory(input.category),
            organizer_ids=ids,
            area_code=input.area_code,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            place=input.place,
        )
        return CreateActivityPayload(
            activity=Activity.from_row(row) if isinstance(row, asyncpg.Record) else None,
            errors=[user_error_from(e) for e in errors],
        )


async def _no_count() -> int:
    return 0


def make_schema(settings: ServiceSettings | None = None) -> strawberry.Schema:
    return build_schema(
        Query,
        mutation=Mutation,
        types=(Organization,),
        settings=settings,
        field_rules=FIELD_RULES,
    )


schema = make_schema()
