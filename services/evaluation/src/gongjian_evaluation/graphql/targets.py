"""Targets (目标管理) in the subgraph: thin adapters over usecases/targets.py."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import asyncpg
import strawberry
from strawberry.types import Info

from gongjian_evaluation.domain import targets as domain
from gongjian_evaluation.domain.metrics import METRICS
from gongjian_evaluation.graphql.awards import _run
from gongjian_evaluation.store import targets as store
from gongjian_evaluation.usecases import targets as usecases
from gongjian_kit import clock, guard
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.field_rules import Gate, Held, Rule, connection_rules, payload_rules
from gongjian_kit.gql import (
    Connection,
    UserError,
    context_of,
    decode_cursor,
    make_connection,
    page_size,
)
from gongjian_kit.policy import Action, Resource


@strawberry.type(description="目标进度（实时计算）/ A target's progress, measured now")
class TargetProgress:
    value: Decimal | None = strawberry.field(
        description="至今的指标值（无分母可除时为空）/ The metric so far (null: nothing to "
        "divide by)"
    )
    target: Decimal
    share: Decimal | None = strawberry.field(description="完成比例 / value / target")
    expected_by_now: Decimal = strawberry.field(
        description="按进度今天应达到的值（计数类按起算日到截止日线性；比率、均值、存量为目标值）/ "
        "Expected by now: a count or sum at a linear pace from `from` to the deadline; a rate, "
        "average or stock: the target itself"
    )
    projected: Decimal | None = strawberry.field(
        description="按目前速度截止日的预计值 / At the pace so far, the value at the deadline"
    )
    on_track: bool = strawberry.field(
        description="未落后（不低于应达值减去容差）/ Not behind (within the tolerance of "
        "the value expected by now)"
    )

    @classmethod
    def of(cls, p: domain.Progress) -> TargetProgress:
        return cls(
            value=p.value,
            target=p.target,
            share=p.share,
            expected_by_now=p.expected_by_now,
            projected=p.projected,
            on_track=p.on_track,
        )


@strawberry.type(description="目标（目标管理）/ A target: a metric to reach by a deadline")
class Target:
    id: strawberry.ID
    subject_kind: str = strawberry.field(description="ORGANIZATION | AREA")
    organization_id: strawberry.ID | None
    area_code: str = strawberry.field(description="区划，或组织所在区划 / The area (or the org's)")
    cycle_id: strawberry.ID | None
    metric: str = strawberry.field(description="指标库中的指标代码 / A metric of the catalogue")
    target: Decimal
    period_from: date = strawberry.field(name="from", description="起算日 / Counted from")
    deadline: date
    behind: bool = strawberry.field(
        description="上次检查时是否落后 / Behind at the last check (the list's filter)"
    )
    checked_at: datetime | None
    set_at: datetime
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Target:
        org = row["organization_id"]
        return cls(
            id=strawberry.ID(str(row["id"])),
            subject_kind=row["subject_kind"],
            organization_id=strawberry.ID(str(org)) if org else None,
            area_code=row["area_code"],
            cycle_id=strawberry.ID(str(row["cycle_id"])) if row["cycle_id"] else None,
            metric=row["metric"],
            target=row["target"],
            period_from=row["period_from"],
            deadline=row["deadline"],
            behind=row["behind"],
            checked_at=row["checked_at"],
            set_at=row["set_at"],
            row=row,
        )

    @strawberry.field(description="指标名称 / The metric's label")
    def metric_label(self) -> str:
        return METRICS[self.metric].label_zh

    @strawberry.field(description="实时进度 / Progress, measured now")
    async def progress(self, info: Info) -> TargetProgress:
        ctx = context_of(info)
        return TargetProgress.of(await usecases.measure(ctx.runtime.db, self.row, clock.today()))


async def _page(
    info: Info, area_code: str | None, behind: bool | None, first: int | None, after: str | None
) -> Connection[Target]:
    ctx = context_of(info)
    filters = usecases.target_filter(ctx.caller, area_code, behind)
    limit, position = page_size(first), decode_cursor(after)
    rows = await store.targets_page(ctx.runtime.db, filters, position, limit + 1)
    return make_connection(
        [Target.from_row(r) for r in rows],
        [r["seq"] for r in rows],
        limit,
        position is not None,
        lambda: store.count_targets(ctx.runtime.db, filters),
    )


@strawberry.type
class TargetQuery:
    @strawberry.field(
        description="区划内（含下级）的目标，最新的在前；behind：按上次检查是否落后筛选 / Targets "
        "in an area and beneath it, newest first (an ORG_ADMIN's: its organisations'); behind "
        "filters on the last check"
    )
    async def targets(
        self,
        info: Info,
        area_code: str | None = None,
        behind: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Target]:
        return await _page(info, area_code, behind, first, after)

    @strawberry.field(
        description="落后于进度的目标（每 TARGET_CHECK_INTERVAL_S 检查一次）/ Targets behind "
        "their pace (as of the last check)"
    )
    async def targets_behind(
        self,
        info: Info,
        area_code: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Target]:
        return await _page(info, area_code, True, first, after)


@strawberry.input(
    description="设定目标（组织或区划二选一；同一对象、指标、周期再次设定即替换）/ Set a target "
    "for an organisation or an area (one of them); setting it again replaces it"
)
class SetTargetInput:
    organization_id: strawberry.ID | None = None
    area_code: str | None = None
    cycle_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="评议周期（起算日默认为周期开始）/ A cycle (`from` defaults to its start)",
    )
    metric: str = strawberry.field(description="组织类指标代码 / An organisation metric's code")
    target: Decimal = strawberry.field(description="目标值（不为负）/ Not negative")
    period_from: date | None = strawberry.field(
        default=None,
        name="from",
        description="起算日（默认周期开始或今天）/ Default: cycle start or today",
    )
    deadline: date


@strawberry.type
class TargetPayload:
    target: Target | None
    errors: list[UserError]


def _parse(input: SetTargetInput) -> usecases.TargetInput:
    def opt_id(raw: strawberry.ID | None, field: str) -> uuid.UUID | None:
        return None if raw is None else guard.parse_id(raw, field)

    if not input.target.is_finite():
        raise ApiError(
            ErrorCode.BAD_USER_INPUT, "目标值无效", "The target is not a number", "target"
        )
    return usecases.TargetInput(
        organization_id=opt_id(input.organization_id, "organizationId"),
        area_code=input.area_code,
        cycle_id=opt_id(input.cycle_id, "cycleId"),
        metric=input.metric,
        target=input.target,
        period_from=input.period_from,
        deadline=input.deadline,
    )


@strawberry.type
class TargetMutation:
    @strawberry.mutation(
        description="设定目标：区划的管理员（区划或其中的组织），或组织管理员（本组织）/ Set a "
        "target: the area's admins (for the area or an organisation in it), an ORG_ADMIN for "
        "its own organisation"
    )
    async def set_target(self, info: Info, input: SetTargetInput) -> TargetPayload:
        ctx = context_of(info)
        row, errors = await _run(
            lambda: usecases.set_target(ctx.runtime, ctx.caller, _parse(input))
        )
        return TargetPayload(target=Target.from_row(row) if row else None, errors=errors)


RECORDS = Resource.RECORDS

RULES: dict[str, Rule] = {
    # The area's targets (an ORG_ADMIN's: its organisations'), filtered in SQL.
    "Query.targets": Gate(RECORDS),
    "Query.targetsBehind": Gate(RECORDS),
    # Area admins and ORG_ADMIN (its own organisations), checked inside: an area's target
    # needs RECORDS WRITE over the whole area, an organisation's UPKEEP WRITE reaching it.
    "Mutation.setTarget": Gate(Resource.UPKEEP, Action.WRITE),
    **{
        f"Target.{f}": Held(RECORDS)
        for f in (
            "id",
            "subjectKind",
            "organizationId",
            "areaCode",
            "cycleId",
            "metric",
            "metricLabel",
            "target",
            "from",
            "deadline",
            "behind",
            "checkedAt",
            "setAt",
            "progress",
        )
    },
    **{
        f"TargetProgress.{f}": Held(RECORDS)
        for f in ("value", "target", "share", "expectedByNow", "projected", "onTrack")
    },
    **connection_rules("Target", RECORDS),
    **payload_rules("TargetPayload", "target", RECORDS),
}
