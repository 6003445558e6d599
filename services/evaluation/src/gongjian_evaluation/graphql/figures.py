"""The figures the evaluation subgraph shows: an area's (with everything beneath it) and an
organisation's activities and cases. No personal data: counts, sums and rates only."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import strawberry
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from gongjian_evaluation.domain.figures import ratio
from gongjian_evaluation.store import stats as store
from gongjian_kit import clock
from gongjian_kit.areas import area_prefix
from gongjian_kit.field_rules import Gate, Held, Rule
from gongjian_kit.gql import context_of
from gongjian_kit.policy import Resource

ACTIVE_DAYS = 90  # an organisation is active with an activity in the last 90 days


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


@strawberry.type(
    description="组织承办诉求的概况 / The cases an organisation handles now (a transferred case "
    "counts with its new handler)"
)
class CaseSummary:
    cases_opened: int = strawberry.field(description="承办的诉求数 / Cases it handles")
    cases_resolved: int = strawberry.field(
        description="已办结数（含已回访关闭）/ Cases resolved (RESOLVED or CLOSED)"
    )
    cases_resolved_on_time: int = strawberry.field(
        description="按期办结数 / Cases resolved within their limit in working days"
    )
    satisfaction_count: int = strawberry.field(
        description="有满意度评分的诉求数 / Closed cases with a satisfaction score"
    )
    satisfaction_sum: int = strawberry.field(description="满意度评分合计 / Sum of the scores")

    @strawberry.field(
        description="按期办结率 / Resolved on time ÷ resolved; null when none resolved"
    )
    def on_time_rate(self) -> float | None:
        return ratio(self.cases_resolved_on_time, self.cases_resolved)

    @strawberry.field(description="平均满意度（1–5）/ Average satisfaction; null when none scored")
    def satisfaction_average(self) -> float | None:
        return ratio(self.satisfaction_sum, self.satisfaction_count)

    @classmethod
    def of(cls, row: asyncpg.Record) -> CaseSummary:
        return cls(
            cases_opened=row["cases_opened"],
            cases_resolved=row["cases_resolved"],
            cases_resolved_on_time=row["cases_resolved_on_time"],
            satisfaction_count=row["satisfaction_count"],
            satisfaction_sum=row["satisfaction_sum"],
        )


@strawberry.type(description="按类计数 / A count per key (a line of work, a grade, a stage)")
class FigureCount:
    key: str
    count: int

    @classmethod
    def all(cls, rows: list[asyncpg.Record]) -> list[FigureCount]:
        return [cls(key=r["key"], count=r["count"]) for r in rows]


@strawberry.type(description="某类组织的覆盖情况 / Coverage of one family of organisation")
class AreaFamilyCoverage:
    family: str = strawberry.field(
        description="PARTY, TRADE_UNION, YOUTH_LEAGUE or WOMENS_FEDERATION"
    )
    required: int = strawberry.field(description="应建单位数 / Units required to have one")
    covered: int = strawberry.field(description="已覆盖单位数 / Of those, units covered")

    @strawberry.field(description="覆盖率 / Covered ÷ required; null when none is required")
    def rate(self) -> float | None:
        return ratio(self.covered, self.required)


def _count(description: str) -> int:
    return strawberry.field(description=description, default=0)  # type: ignore[no-any-return]


@strawberry.type(description="区域统计的留存数字 / The figures of an area kept as they move")
class AreaFigures:
    area_code: str
    organization_count: int = _count("在册组织数 / Active organisations")
    activity_count: int = _count("活动数（不含已取消）/ Activities, not counting cancelled ones")
    completed_activity_count: int = _count("已完成的活动数 / Completed activities")
    people_served: int = _count(
        "服务群众人次（已完成的活动）/ People served by completed activities"
    )
    checked_in_count: int = _count(
        "签到人次（每项活动每人一次）/ Participants checked in (once per person and activity)"
    )
    volunteer_count: int = _count(
        "志愿者人数（有计入时长者，每人一次）/ Volunteers: people with counted hours here, each "
        "once however many activities"
    )
    volunteer_hours: float = strawberry.field(
        description="志愿服务时长（已核实 + 补录）/ Volunteer hours (verified + added by hand)",
        default=0.0,
    )
    cases_opened: int = _count("诉求数 / Cases opened (all)")
    cases_resolved: int = _count(
        "已办结诉求数（含已回访关闭）/ Cases resolved (RESOLVED or CLOSED)"
    )
    cases_resolved_on_time: int = _count(
        "按期办结数 / Cases resolved within their limit in working days"
    )
    cases_closed: int = _count("已回访关闭的诉求数 / Cases closed")
    satisfaction_count: int = _count(
        "有满意度评分的诉求数 / Closed cases with a satisfaction score (the requester reached)"
    )
    satisfaction_sum: int = _count("满意度评分合计 / Sum of the satisfaction scores (1–5 each)")
    cases_overdue_escalated: int = _count(
        "超期上报且未办结的诉求数 / Cases escalated as overdue and still pending"
    )
    pairings_active: int = _count("进行中的结对数 / Pairings started and not ended")
    visits: int = _count("走访次数 / Visits logged under pairings")
    pledges_made: int = _count("为民服务承诺数 / Pledges made (all)")
    pledges_fulfilled: int = _count("已兑现的承诺数 / Pledges fulfilled")
    pledges_lapsed: int = _count("逾期未兑现的承诺数 / Pledges lapsed, as they stand now")
    decisions_made: int = _count("联席会议决定数 / Joint meetings' decisions made (all)")
    decisions_done: int = _count("已落实的决定数 / Decisions done")
    decisions_overdue: int = _count("逾期未落实的决定数 / Decisions past their date and still open")
    ventures: int = _count("双带创业项目数 / Ventures registered (双带)")
    venture_jobs: int = _count("创业带动就业人数 / People employed by ventures, as last reported")
    venture_people_led: int = _count(
        "带领群众创业人数 / People led by ventures (带领群众数), as last reported"
    )

    @strawberry.field(
        description="按期办结率 / Cases resolved on time ÷ resolved; null when none resolved"
    )
    def on_time_rate(self) -> float | None:
        return ratio(self.cases_resolved_on_time, self.cases_resolved)

    @strawberry.field(description="平均满意度（1–5）/ Average satisfaction; null when none scored")
    def satisfaction_average(self) -> float | None:
        return ratio(self.satisfaction_sum, self.satisfaction_count)

    updated_at: datetime | None = None


@strawberry.type(description="区域统计（含下级，无个人信息）/ Figures of an area and beneath it")
class AreaStats(AreaFigures):
    @strawberry.field(
        description="各类组织覆盖率（来自组织服务的覆盖变化事件）/ Coverage per family, as the "
        "organizations service's coverage.changed events tell it"
    )
    async def coverage(self, info: Info) -> list[AreaFamilyCoverage]:
        rows = await store.coverage(context_of(info).runtime.db, self.area_code)
        return [
            AreaFamilyCoverage(family=r["family"], required=r["required"], covered=r["covered"])
            for r in rows
        ]

    @strawberry.field(
        description="活跃组织数（近90天主办过未取消的活动，不含已撤销）/ Active organisations: "
        "registered here or beneath, not dissolved, organising an activity (not cancelled) that "
        "started in the last 90 days (read now from the evidence ledger)"
    )
    async def active_organization_count(self, info: Info) -> int:
        today = clock.today()
        since = today - timedelta(days=ACTIVE_DAYS)
        db = context_of(info).runtime.db
        return await store.active_organizations(db, area_prefix(self.area_code), since, today)

    @strawberry.field(
        description="按工作条线的活动数（不含已取消）/ Activities (not cancelled) per line of "
        "work (条线: the activity's line); key '' for none"
    )
    async def activities_by_line_of_work(self, info: Info) -> list[FigureCount]:
        db = context_of(info).runtime.db
        return FigureCount.all(await store.activities_by_line(db, self.area_code))

    @strawberry.field(
        description="已发布评定的等次分布 / Published assessments of subjects here or beneath, "
        "per grade (EXCELLENT, GOOD, PASS, FAIL; all cycles)"
    )
    async def assessment_grades(self, info: Info) -> list[FigureCount]:
        db = context_of(info).runtime.db
        return FigureCount.all(await store.published_grades(db, area_prefix(self.area_code)))

    @strawberry.field(
        description="推优入党按阶段 / Recommendations to the Party by organisations here or "
        "beneath, per stage (RECOMMENDED … FULL_MEMBER; STOPPED)"
    )
    async def recommendations_by_stage(self, info: Info) -> list[FigureCount]:
        db = context_of(info).runtime.db
        rows = await store.recommendations_by_stage(db, area_prefix(self.area_code))
        return FigureCount.all(rows)

    @classmethod
    def of(cls, code: str, row: asyncpg.Record | None) -> AreaStats:
        """An area's figures; all 0 for an area nothing was counted in yet."""
        if row is None:
            return cls(area_code=code)
        figures = {k: v for k, v in dict(row).items() if k not in ("area_code", "volunteer_hours")}
        return cls(area_code=code, volunteer_hours=float(row["volunteer_hours"]), **figures)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@strawberry.type(
    description="区域某月的统计（月末状态；本月为当前）/ An area's figures at the end of a month "
    "(the current month: as they stand now)"
)
class AreaStatsMonth(AreaFigures):
    month: date = strawberry.field(description="月份（当月1日）/ The month (its first day)")

    @classmethod
    def of(cls, month: date, figures: dict[str, Any]) -> AreaStatsMonth:
        kept = {
            f.python_name
            for f in cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
            if f.base_resolver is None  # rates are worked out from the counts
        }
        given = {_snake(k): v for k, v in figures.items()}
        values = {k: v for k, v in given.items() if k in kept and k != "updated_at"}
        updated = given.get("updated_at")
        return cls(
            month=month,
            updated_at=datetime.fromisoformat(updated) if updated else None,
            **values,
        )


@strawberry.type
class FigureHistoryQuery:
    @strawberry.field(
        description="区域统计的月度序列 / An area's figures month by month, oldest first "
        "(months with no change to its figures yet are absent)"
    )
    async def area_stats_history(
        self, info: Info, area_code: str, from_month: date, to_month: date
    ) -> list[AreaStatsMonth]:
        ctx = context_of(info)
        code = ctx.caller.checked_area(area_code)
        rows = await store.area_history(ctx.runtime.db, code, from_month, to_month)
        return [AreaStatsMonth.of(r["month"], r["figures"]) for r in rows]


_READ_NOW = (
    "coverage",
    "activeOrganizationCount",
    "activitiesByLineOfWork",
    "assessmentGrades",
    "recommendationsByStage",
)
RULES: dict[str, Rule] = {
    "Query.areaStatsHistory": Gate(Resource.FIGURES),
    **{f"AreaStats.{f}": Held(Resource.FIGURES) for f in _READ_NOW},
    **{
        f"AreaStatsMonth.{to_camel_case(f.python_name)}": Held(Resource.FIGURES)
        for f in AreaStatsMonth.__strawberry_definition__.fields  # type: ignore[attr-defined]
    },
    **{
        f"AreaFamilyCoverage.{f}": Held(Resource.FIGURES)
        for f in ("family", "required", "covered", "rate")
    },
    "FigureCount.key": Held(Resource.FIGURES),
    "FigureCount.count": Held(Resource.FIGURES),
}
