"""The figures the evaluation subgraph shows: an area's (with everything beneath it) and an
organisation's activities and cases. No personal data: counts, sums and rates only."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import strawberry

from gongjian_evaluation.domain.figures import ratio


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


def _count(description: str) -> int:
    return strawberry.field(description=description, default=0)  # type: ignore[no-any-return]


@strawberry.type(description="区域统计（含下级，无个人信息）/ Figures of an area and beneath it")
class AreaStats:
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

    @classmethod
    def of(cls, code: str, row: asyncpg.Record | None) -> AreaStats:
        """An area's figures; all 0 for an area nothing was counted in yet."""
        if row is None:
            return cls(area_code=code)
        figures = {k: v for k, v in dict(row).items() if k not in ("area_code", "volunteer_hours")}
        return cls(area_code=code, volunteer_hours=float(row["volunteer_hours"]), **figures)
