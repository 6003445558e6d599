"""推优入党 in the subgraph: recommendations, their stages, and the conversion of each
recommending organisation (推优质量): thin adapters over usecases/recommendations.py."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_evaluation.domain import recommendations as domain
from gongjian_evaluation.graphql.awards import Person, _run
from gongjian_evaluation.store import recommendations as store
from gongjian_evaluation.usecases import recommendations as usecases
from gongjian_kit import clock, guard, policy
from gongjian_kit.field_rules import Gate, Held, Rule, connection_rules, payload_rules
from gongjian_kit.gql import (
    Connection,
    RequestContext,
    UserError,
    context_of,
    decode_cursor,
    make_connection,
    page_size,
)
from gongjian_kit.policy import Action, Resource

if TYPE_CHECKING:
    from gongjian_evaluation.graphql.schema import Organization

OrganizationRef = Annotated["Organization", strawberry.lazy("gongjian_evaluation.graphql.schema")]

RecommendationStage = strawberry.enum(
    domain.Stage,
    name="RecommendationStage",
    description="推优入党的阶段：已推优 → 入党积极分子 → 发展对象 → 预备党员 → 正式党员 / "
    "RECOMMENDED → ACTIVIST → CANDIDATE → PROBATIONARY → FULL_MEMBER",
)


def _by_id(ctx: RequestContext) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        rows = await store.by_id(ctx.runtime.db, ids)
        return [r if r is not None and usecases.sees(ctx.caller, r) else None for r in rows]

    return ctx.loader("recommendations_by_id", lambda: DataLoader(load_fn=load))


@strawberry.type(description="推优入党记录 / A recommendation to the Party (推优) and its stages")
class Recommendation:
    id: strawberry.ID
    person_id: strawberry.ID
    by_organization_id: strawberry.ID = strawberry.field(
        description="推荐组织（工会、共青团、妇联）/ The recommending organisation"
    )
    family: str = strawberry.field(description="推荐组织的系统 / The organisation's family")
    area_code: str
    stage: RecommendationStage  # type: ignore[valid-type]
    recommended_on: date
    activist_on: date | None = strawberry.field(description="列为入党积极分子之日")
    candidate_on: date | None = strawberry.field(description="列为发展对象之日")
    probationary_on: date | None = strawberry.field(description="接收为预备党员之日")
    full_member_on: date | None = strawberry.field(description="转为正式党员之日")
    reason: str = strawberry.field(description="推荐理由 / Why the person was recommended")
    stopped_on: date | None
    stop_reason: str | None
    recommended_at: datetime
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Recommendation:
        return cls(
            id=strawberry.ID(str(row["id"])),
            person_id=strawberry.ID(str(row["person_id"])),
            by_organization_id=strawberry.ID(str(row["organization_id"])),
            family=row["family"],
            area_code=row["area_code"],
            stage=domain.Stage(row["stage"]),
            recommended_on=row["recommended_on"],
            activist_on=row["activist_on"],
            candidate_on=row["candidate_on"],
            probationary_on=row["probationary_on"],
            full_member_on=row["full_member_on"],
            reason=row["reason"],
            stopped_on=row["stopped_on"],
            stop_reason=row["stop_reason"],
            recommended_at=row["recommended_at"],
            row=row,
        )

    @strawberry.field
    def stage_label(self) -> str:
        return domain.STAGE_LABELS[domain.Stage(self.stage)]

    @strawberry.field(description="下一阶段（已终止或已完成为空）/ The next stage, if any")
    def next_stage(self) -> RecommendationStage | None:  # type: ignore[valid-type]
        if self.row["stopped_on"] is not None:
            return None
        return domain.next_stage(domain.Stage(self.stage))

    @strawberry.field(
        description="下一阶段最早可定之日 / The first day the next stage may be dated"
    )
    def next_stage_from(self) -> date | None:
        target = self.next_stage()
        if target is None:
            return None
        return domain.earliest_on(target, usecases.dates_of(self.row), usecases.rules())

    @strawberry.field(description="是否进行中 / Under way (neither stopped nor complete)")
    def active(self) -> bool:
        return self.row["stopped_on"] is None and self.stage != domain.Stage.FULL_MEMBER

    @strawberry.field(description="推荐组织 / The recommending organisation")
    def by_organization(self) -> OrganizationRef:
        from gongjian_evaluation.graphql.schema import Organization  # noqa: PLC0415

        return Organization(id=self.by_organization_id)

    @strawberry.field(description="被推荐人（姓名由组织服务按权限显示）/ The person")
    def person(self, info: Info) -> Person:
        return Person.of(context_of(info), self.row["person_id"])

    @strawberry.field(description="今天 / Today (for the dates above)")
    def as_of(self) -> date:
        return clock.today()


@strawberry.type(description="一个组织的推优质量 / One organisation's conversion")
class OrganizationConversion:
    organization_id: strawberry.ID
    family: str
    recommended: int = strawberry.field(description="期间内推优人数 / Recommended in the period")
    converted: int = strawberry.field(
        description="其中已成为预备党员或正式党员 / Of them, now probationary or full members"
    )
    rate: float | None = strawberry.field(description="转化率 / converted ÷ recommended")


@strawberry.type(description="一个系统的推优质量 / A family's conversion")
class FamilyConversion:
    family: str
    recommended: int
    converted: int
    rate: float | None


@strawberry.type(description="推优质量 / How many of those recommended became Party members")
class RecommendationConversion:
    by_organization: list[OrganizationConversion]
    by_family: list[FamilyConversion]


def _rate(converted: int, recommended: int) -> float | None:
    return round(converted / recommended, 4) if recommended else None


async def of_person(
    info: Info, person_id: uuid.UUID, first: int | None, after: str | None
) -> Connection[Recommendation]:
    """A person's recommendations, newest first: of those the caller may list at all."""
    filters = usecases.recommendation_filter(context_of(info).caller, None)
    if filters is not None and filters.person_id not in (None, person_id):
        filters = None  # a member asking about someone else
    if filters is not None:
        filters = dataclasses.replace(filters, person_id=person_id)
    return await _page(info, filters, first, after)


async def _page(
    info: Info, filters: store.RecommendationFilter | None, first: int | None, after: str | None
) -> Connection[Recommendation]:
    """A page of the recommendations ``filters`` admits (None: nothing at all)."""
    ctx = context_of(info)
    limit, position = page_size(first), decode_cursor(after)
    if filters is None:
        return make_connection([], [], limit, position is not None, _zero)
    rows = await store.page(ctx.runtime.db, filters, position, limit + 1)
    return make_connection(
        [Recommendation.from_row(r) for r in rows],
        [r["seq"] for r in rows],
        limit,
        position is not None,
        lambda: store.count(ctx.runtime.db, filters),
    )


@strawberry.type
class RecommendationQuery:
    @strawberry.field(
        description="推优入党记录，最新的在前（区划管理员；组织管理员：本组织推荐的；本人）/ "
        "Recommendations, newest first"
    )
    async def recommendations(
        self,
        info: Info,
        area_code: str | None = None,
        stage: RecommendationStage | None = None,  # type: ignore[valid-type]
        by_organization_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Recommendation]:
        org = guard.parse_id(by_organization_id, "byOrganizationId") if by_organization_id else None
        filters = usecases.recommendation_filter(
            context_of(info).caller, area_code, domain.Stage(stage).value if stage else None, org
        )
        return await _page(info, filters, first, after)

    @strawberry.field(description="按编号查推优记录 / A recommendation by id")
    async def recommendation(self, info: Info, id: strawberry.ID) -> Recommendation | None:
        key = guard.id_or_none(id)
        if key is None:
            return None
        row = await _by_id(context_of(info)).load(key)
        return Recommendation.from_row(row) if row else None

    @strawberry.field(
        description="推优质量：各推荐组织及各系统推优后成为预备党员或正式党员的比例（按推优日期计"
        "入期间）/ Conversion: of those recommended in the period, how many are now probationary "
        "or full members, per organisation and per family"
    )
    async def recommendation_conversion(
        self,
        info: Info,
        area_code: str | None = None,
        recommended_from: date | None = None,
        recommended_to: date | None = None,
    ) -> RecommendationConversion:
        ctx = context_of(info)
        reach = policy.reach(ctx.caller, Resource.RECORDS)
        rows = await store.conversion(
            ctx.runtime.db,
            ctx.caller.scope_like(area_code),
            reach.organizations_only,
            recommended_from,
            recommended_to,
        )
        families: dict[str, list[int]] = {}
        for r in rows:
            counts = families.setdefault(r["family"], [0, 0])
            counts[0] += r["recommended"]
            counts[1] += r["converted"]
        return RecommendationConversion(
            by_organization=[
                OrganizationConversion(
                    organization_id=strawberry.ID(str(r["organization_id"])),
                    family=r["family"],
                    recommended=r["recommended"],
                    converted=r["converted"],
                    rate=_rate(r["converted"], r["recommended"]),
                )
                for r in rows
            ],
            by_family=[
                FamilyConversion(family=f, recommended=n, converted=c, rate=_rate(c, n))
                for f, (n, c) in sorted(families.items())
            ],
        )


async def _zero() -> int:
    return 0


@strawberry.input(description="推优 / Recommend a person to the Party")
class RecommendForPartyInput:
    person_id: strawberry.ID
    by_organization_id: strawberry.ID = strawberry.field(
        description="工会、共青团或妇联组织 / A trade union, youth league or women's federation "
        "organisation you keep"
    )
    on: date = strawberry.field(description="推优（申请）之日，年满18周岁 / The day (aged 18+)")
    reason: str = strawberry.field(description="推荐理由（不超过500字）/ At most 500 characters")


@strawberry.input(description="推优进入下一阶段 / Move a recommendation to its next stage")
class AdvanceRecommendationInput:
    id: strawberry.ID
    stage: RecommendationStage  # type: ignore[valid-type]
    on: date = strawberry.field(
        description="该阶段之日：不晚于今天，不早于上一阶段（发展对象、正式党员：满一年）/ The "
        "stage's date"
    )


@strawberry.input(description="终止推优 / Stop a recommendation")
class StopRecommendationInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="原因（不超过500字）/ At most 500 characters")


@strawberry.type
class RecommendationPayload:
    recommendation: Recommendation | None
    errors: list[UserError]


def _payload(row: asyncpg.Record | None, errors: list[UserError]) -> RecommendationPayload:
    return RecommendationPayload(
        recommendation=Recommendation.from_row(row) if row else None, errors=errors
    )


@strawberry.type
class RecommendationMutation:
    @strawberry.mutation(
        description="推优：工会、共青团或妇联组织推荐人员入党（组织管理员、区划管理员）/ "
        "Recommend a person to the Party"
    )
    async def recommend_for_party(
        self, info: Info, input: RecommendForPartyInput
    ) -> RecommendationPayload:
        ctx = context_of(info)
        row, errors = await _run(
            lambda: usecases.recommend(
                ctx.runtime,
                ctx.caller,
                ctx.authorization,
                person_id=guard.parse_id(input.person_id, "personId"),
                org_id=guard.parse_id(input.by_organization_id, "byOrganizationId"),
                on=input.on,
                reason=input.reason,
            )
        )
        return _payload(row, errors)

    @strawberry.mutation(
        description="推优进入下一阶段，注明日期 / Move a recommendation to its next stage, dated"
    )
    async def advance_recommendation(
        self, info: Info, input: AdvanceRecommendationInput
    ) -> RecommendationPayload:
        ctx = context_of(info)
        row, errors = await _run(
            lambda: usecases.advance(
                ctx.runtime,
                ctx.caller,
                guard.parse_id(input.id, "id"),
                domain.Stage(input.stage),
                input.on,
            )
        )
        return _payload(row, errors)

    @strawberry.mutation(description="终止推优 / Stop a recommendation, with a reason")
    async def stop_recommendation(
        self, info: Info, input: StopRecommendationInput
    ) -> RecommendationPayload:
        ctx = context_of(info)
        row, errors = await _run(
            lambda: usecases.stop(
                ctx.runtime, ctx.caller, guard.parse_id(input.id, "id"), input.reason
            )
        )
        return _payload(row, errors)


PERSONAL = Resource.PERSONAL
RECORDS = Resource.RECORDS
KEEPERS = Gate(Resource.UPKEEP, Action.WRITE)

RULES: dict[str, Rule] = {
    # A person's path to the Party is personal data: the admins of the area, an ORG_ADMIN for
    # its organisations' recommendations, the person themself (filtered in SQL and the loader).
    "Query.recommendations": Gate(PERSONAL),
    "Query.recommendation": Gate(PERSONAL),
    # Counts per organisation and family: records (an ORG_ADMIN: its own organisations).
    "Query.recommendationConversion": Gate(RECORDS),
    # The recommending organisation's keepers (UPKEEP WRITE admitting it, checked inside).
    "Mutation.recommendForParty": KEEPERS,
    "Mutation.advanceRecommendation": KEEPERS,
    "Mutation.stopRecommendation": KEEPERS,
    **{
        f"Recommendation.{f}": Held(PERSONAL)
        for f in (
            "id",
            "personId",
            "byOrganizationId",
            "family",
            "areaCode",
            "stage",
            "stageLabel",
            "recommendedOn",
            "activistOn",
            "candidateOn",
            "probationaryOn",
            "fullMemberOn",
            "reason",
            "stoppedOn",
            "stopReason",
            "recommendedAt",
            "nextStage",
            "nextStageFrom",
            "active",
            "asOf",
            "byOrganization",
            "person",
        )
    },
    **{
        f"OrganizationConversion.{f}": Held(RECORDS)
        for f in ("organizationId", "family", "recommended", "converted", "rate")
    },
    **{
        f"FamilyConversion.{f}": Held(RECORDS)
        for f in ("family", "recommended", "converted", "rate")
    },
    "RecommendationConversion.byOrganization": Held(RECORDS),
    "RecommendationConversion.byFamily": Held(RECORDS),
    **connection_rules("Recommendation", PERSONAL),
    **payload_rules("RecommendationPayload", "recommendation", PERSONAL),
}
