"""The evaluation subgraph: activity summaries, area statistics and their live updates."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_evaluation.graphql.access import FIELD_RULES
from gongjian_evaluation.live import broadcaster_of
from gongjian_evaluation.store import stats as store
from gongjian_kit import guard, policy
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.gql import RequestContext, build_schema, context_of
from gongjian_kit.policy import Resource
from gongjian_kit.settings import ServiceSettings


@strawberry.type(description="组织的活动概况 / An organisation's activity summary")
class ActivitySummary:
    activity_count: int = strawberry.field(
        description="主办的活动数（不含已取消）/ Activities organised, not counting cancelled ones"
    )
    completed_count: int = strawberry.field(
        description="已完成的活动数 / Activities organised and completed"
    )
    people_served: int = strawberry.field(
        description="服务群众人次（已完成的活动）/ People served by its completed activities"
    )
    volunteer_hours: float = strawberry.field(
        description="志愿服务时长（已核实 + 补录）/ Volunteer hours at its activities "
        "(verified + added by hand)"
    )
    last_activity_at: datetime | None = strawberry.field(
        description="最近一项活动的开始时间（不含已取消）/ When its latest activity starts, not "
        "counting cancelled ones"
    )

    @classmethod
    def of(cls, row: asyncpg.Record) -> ActivitySummary:
        return cls(
            activity_count=row["activity_count"],
            completed_count=row["completed_count"],
            people_served=row["people_served"],
            volunteer_hours=float(row["volunteer_hours"]),
            last_activity_at=row["last_activity_at"],
        )


@strawberry.type(description="区域统计（含下级，无个人信息）/ Figures of an area and beneath it")
class AreaStats:
    area_code: str
    organization_count: int = strawberry.field(description="在册组织数 / Active organisations")
    activity_count: int = strawberry.field(
        description="活动数（不含已取消）/ Activities, not counting cancelled ones"
    )
    completed_activity_count: int = strawberry.field(
        description="已完成的活动数 / Completed activities"
    )
    people_served: int = strawberry.field(
        description="服务群众人次（已完成的活动）/ People served by completed activities"
    )
    checked_in_count: int = strawberry.field(
        description="签到人次（每项活动每人一次）/ Participants checked in (once per person and "
        "activity)"
    )
    volunteer_count: int = strawberry.field(
        description="志愿者人数（有计入时长者，每人一次）/ Volunteers: people with counted hours "
        "here, each once however many activities"
    )
    volunteer_hours: float = strawberry.field(
        description="志愿服务时长（已核实 + 补录）/ Volunteer hours (verified + added by hand)"
    )
    updated_at: datetime | None

    @classmethod
    def of(cls, code: str, row: asyncpg.Record | None) -> AreaStats:
        if row is None:
            return cls(
                area_code=code,
                organization_count=0,
                activity_count=0,
                completed_activity_count=0,
                people_served=0,
                checked_in_count=0,
                volunteer_count=0,
                volunteer_hours=0.0,
                updated_at=None,
            )
        return cls(
            area_code=code,
            organization_count=row["organization_count"],
            activity_count=row["activity_count"],
            completed_activity_count=row["completed_activity_count"],
            people_served=row["people_served"],
            checked_in_count=row["checked_in_count"],
            volunteer_count=row["volunteer_count"],
            volunteer_hours=float(row["volunteer_hours"]),
            updated_at=row["updated_at"],
        )


def _stats_loader(ctx: RequestContext) -> DataLoader[str, asyncpg.Record | None]:
    async def load(codes: list[str]) -> list[asyncpg.Record | None]:
        return await store.area_stats(ctx.runtime.db, codes)

    return ctx.loader("area_stats", lambda: DataLoader(load_fn=load))


def _checked_area(ctx: RequestContext, code: str) -> str:
    return ctx.caller.checked_area(code)


@strawberry.federation.type(keys=["code"])
class Area:
    code: str

    @classmethod
    def resolve_reference(cls, info: Info, code: str) -> Area:
        return cls(code=code)

    @strawberry.field(description="本区域及下级的统计 / Figures of this area and beneath it")
    async def stats(self, info: Info) -> AreaStats:
        ctx = context_of(info)
        code = _checked_area(ctx, self.code)
        return AreaStats.of(code, await _stats_loader(ctx).load(code))


@strawberry.federation.type(keys=["id"])
class Organization:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Organization:
        return cls(id=strawberry.ID(str(guard.parse_id(id))))

    @strawberry.field(description="活动概况 / Activity summary")
    async def activity_summary(self, info: Info) -> ActivitySummary | None:
        ctx = context_of(info)
        reach = policy.reach(ctx.caller, Resource.RECORDS)
        scope = reach.area_like

        async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
            return await store.activity_summaries(ctx.runtime.db, ids, scope)

        key = guard.id_or_none(self.id)
        if key is None or not (reach.area or key in (reach.own_orgs or ())):
            return None  # an ORG_ADMIN sees the summaries of its own organisations only
        row = await ctx.loader("summaries", lambda: DataLoader(load_fn=load)).load(key)
        if row is None:
            return None
        return ActivitySummary.of(row)


@strawberry.type
class Query:
    @strawberry.field(description="区域统计 / Figures of an area and beneath it")
    async def area_stats(self, info: Info, area_code: str) -> AreaStats:
        ctx = context_of(info)
        code = _checked_area(ctx, area_code)
        return AreaStats.of(code, await _stats_loader(ctx).load(code))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="区域统计变化时推送 / New figures whenever they change")
    async def area_stats_updated(
        self, info: Info, area_code: str
    ) -> AsyncGenerator[AreaStats, None]:
        ctx = context_of(info)
        code = _checked_area(ctx, area_code)
        broadcaster = broadcaster_of(ctx.runtime)
        queue = broadcaster.subscribe()
        try:
            while True:
                # The subscription ends with its token: a revoked or expired caller hears no more.
                left = ctx.caller.seconds_left()
                try:
                    if left <= 0:
                        raise TimeoutError
                    changed = await asyncio.wait_for(queue.get(), timeout=left)
                except TimeoutError:
                    raise ApiError(
                        ErrorCode.UNAUTHENTICATED,
                        "令牌已过期，订阅结束",
                        "The token has expired; the subscription ends",
                    ) from None
                if code in changed:
                    # Read fresh each time: a connection-long DataLoader would serve stale rows.
                    rows = await store.area_stats(ctx.runtime.db, [code])
                    yield AreaStats.of(code, rows[0])
        finally:
            broadcaster.unsubscribe(queue)


def make_schema(settings: ServiceSettings | None = None) -> strawberry.Schema:
    return build_schema(
        Query,
        subscription=Subscription,
        types=(Area, Organization),
        settings=settings,
        field_rules=FIELD_RULES,
    )


schema = make_schema()
