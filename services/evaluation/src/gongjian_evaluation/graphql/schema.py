"""The evaluation subgraph: activity and case summaries, area statistics and their live updates."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.tools import merge_types
from strawberry.types import Info

from gongjian_evaluation.graphql import (
    assessments,
    awards,
    bulletins,
    figures,
    recommendations,
    schemes,
    targets,
)
from gongjian_evaluation.graphql.access import FIELD_RULES
from gongjian_evaluation.graphql.awards import Award
from gongjian_evaluation.graphql.figures import ActivitySummary, AreaStats, CaseSummary
from gongjian_evaluation.live import broadcaster_of
from gongjian_evaluation.store import stats as store
from gongjian_kit import guard, policy
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.gql import Connection, RequestContext, build_schema, context_of
from gongjian_kit.policy import Resource
from gongjian_kit.settings import ServiceSettings


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

    @strawberry.field(description="承办诉求的概况 / The cases it handles now")
    async def case_summary(self, info: Info) -> CaseSummary | None:
        ctx = context_of(info)
        reach = policy.reach(ctx.caller, Resource.RECORDS)
        scope = reach.area_like

        async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
            return await store.case_summaries(ctx.runtime.db, ids, scope)

        key = guard.id_or_none(self.id)
        if key is None or not (reach.area or key in (reach.own_orgs or ())):
            return None  # an ORG_ADMIN sees the figures of its own organisations only
        row = await ctx.loader("case_summaries", lambda: DataLoader(load_fn=load)).load(key)
        return None if row is None else CaseSummary.of(row)

    @strawberry.field(
        description="所获表彰（含公示中、已撤回），最新的在前 / Awards, newest first (proposed, "
        "conferred, withdrawn)"
    )
    async def awards(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Award]:
        return await awards.awards_of_subject(info, guard.parse_id(self.id), first, after)


@strawberry.type
class FigureQuery:
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
            # The current figures first (subscribed before reading: no change falls between).
            yield AreaStats.of(code, (await store.area_stats(ctx.runtime.db, [code]))[0])
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


# The subgraph's root types: each part of the service (figures, schemes, cycles and
# assessments, awards) brings its query and mutation fields, and its access rules (merged in
# graphql/access.py). A part without mutations gives None.
PARTS: tuple[tuple[type, type | None], ...] = (
    (FigureQuery, None),
    (figures.FigureHistoryQuery, None),
    (schemes.SchemeQuery, schemes.SchemeMutation),
    (assessments.AssessmentQuery, assessments.AssessmentMutation),
    (awards.AwardQuery, awards.AwardMutation),
    (bulletins.BulletinQuery, bulletins.BulletinMutation),
    (targets.TargetQuery, targets.TargetMutation),
    (recommendations.RecommendationQuery, recommendations.RecommendationMutation),
)
Query = merge_types("Query", tuple(q for q, _ in PARTS))
_mutations = tuple(m for _, m in PARTS if m is not None)
Mutation = merge_types("Mutation", _mutations) if _mutations else None


def make_schema(settings: ServiceSettings | None = None) -> strawberry.Schema:
    return build_schema(
        Query,
        mutation=Mutation,
        subscription=Subscription,
        types=(Area, Organization, awards.Person),
        settings=settings,
        field_rules=FIELD_RULES,
    )


schema = make_schema()
