"""Bulletins (信息通报) in the subgraph: ``generateBulletin`` (the area's admins), a thin adapter
over usecases/bulletins.py."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from gongjian_evaluation.bulletins import document
from gongjian_evaluation.graphql.awards import _run
from gongjian_evaluation.usecases import bulletins as usecases
from gongjian_kit import guard
from gongjian_kit.field_rules import Gate, Held, Rule, payload_rules
from gongjian_kit.gql import UserError, context_of
from gongjian_kit.policy import Action, Resource


@strawberry.type(description="一项数据：本期、上期与增减 / A figure: this period, the last, change")
class BulletinFigure:
    code: str
    label_zh: str
    value: float | None = strawberry.field(description="本期（无可平均时为空）/ This period")
    previous: float | None = strawberry.field(description="上期 / The previous period")
    change: float | None = strawberry.field(description="增减 / value - previous")


@strawberry.type(description="一条线的完成活动 / Completed activities of a line of work")
class BulletinLine:
    line: str = strawberry.field(description="条线代码（NONE：未分条线）/ Line code")
    label_zh: str
    completed: int
    previous: int
    change: int
    people_served: int
    volunteer_hours: float


@strawberry.type(description="下级区域排名 / A sub-area ranked by completed activities")
class BulletinSubArea:
    rank: int
    area_code: str
    completed: int
    people_served: int


@strawberry.type(
    description="覆盖空白：下级区域缺少某类组织 / A sub-area with no organisation "
    "of a family the area has"
)
class BulletinGap:
    area_code: str
    family: str
    family_label_zh: str


@strawberry.type(description="超期事项 / An overdue case or decision")
class BulletinOverdue:
    kind: str = strawberry.field(description="CASE 或 DECISION")
    source_id: strawberry.ID
    area_code: str
    due_on: date


@strawberry.type(description="月度完成活动 / Completed activities in a month")
class BulletinMonth:
    month: str = strawberry.field(description="YYYY-MM")
    completed: int


@strawberry.type(description="通报的数据 / The bulletin's figures")
class BulletinFigures:
    items: list[BulletinFigure]
    lines: list[BulletinLine]
    sub_areas: list[BulletinSubArea]
    coverage_gaps: list[BulletinGap]
    overdue_cases: int
    overdue_decisions: int
    overdue: list[BulletinOverdue] = strawberry.field(
        description="超期事项（最多50项，按到期日）/ Up to 50, by due day"
    )
    months: list[BulletinMonth]

    @classmethod
    def of(cls, b: document.Bulletin) -> BulletinFigures:
        return cls(
            items=[
                BulletinFigure(
                    code=f.code,
                    label_zh=f.label_zh,
                    value=f.value,
                    previous=f.previous,
                    change=f.change,
                )
                for f in b.figures
            ],
            lines=[
                BulletinLine(
                    line=li.line,
                    label_zh=li.label_zh,
                    completed=li.completed,
                    previous=li.previous,
                    change=li.completed - li.previous,
                    people_served=li.people_served,
                    volunteer_hours=li.volunteer_hours,
                )
                for li in b.lines
            ],
            sub_areas=[
                BulletinSubArea(
                    rank=s.rank,
                    area_code=s.area_code,
                    completed=s.completed,
                    people_served=s.people_served,
                )
                for s in b.sub_areas
            ],
            coverage_gaps=[
                BulletinGap(
                    area_code=g.area_code, family=g.family, family_label_zh=g.family_label_zh
                )
                for g in b.gaps
            ],
            overdue_cases=b.overdue_cases,
            overdue_decisions=b.overdue_decisions,
            overdue=[
                BulletinOverdue(
                    kind=o.kind,
                    source_id=strawberry.ID(o.source_id),
                    area_code=o.area_code,
                    due_on=o.due_on,
                )
                for o in b.overdue
            ],
            months=[BulletinMonth(month=m.month, completed=m.completed) for m in b.months],
        )


@strawberry.type(description="信息通报 / A bulletin")
class Bulletin:
    id: strawberry.ID
    area_code: str
    period_from: date
    period_to: date
    previous_from: date
    previous_to: date
    generated_at: datetime
    pdf_url: str = strawberry.field(description="PDF 的短时签名链接 / A signed link to the PDF")
    xlsx_url: str = strawberry.field(description="XLSX 的短时签名链接 / A signed link to the XLSX")
    expires_at: datetime
    figures: BulletinFigures


@strawberry.input(description="生成信息通报 / Generate a bulletin of an area over a period")
class GenerateBulletinInput:
    area_code: str
    from_: date = strawberry.field(name="from", description="起始日 / First day")
    to: date = strawberry.field(description="截止日（含）/ Last day")


@strawberry.type
class GenerateBulletinPayload:
    bulletin: Bulletin | None
    errors: list[UserError]


def _bulletin(done: usecases.Generated) -> Bulletin:
    b = done.bulletin
    return Bulletin(
        id=strawberry.ID(str(b.id)),
        area_code=b.area_code,
        period_from=b.period_from,
        period_to=b.period_to,
        previous_from=b.previous_from,
        previous_to=b.previous_to,
        generated_at=b.generated_at,
        pdf_url=done.pdf.url,
        xlsx_url=done.xlsx.url,
        expires_at=min(done.pdf.expires_at, done.xlsx.expires_at),
        figures=BulletinFigures.of(b),
    )


@strawberry.type
class BulletinQuery:
    @strawberry.field(
        description="已生成的信息通报，附新的下载链接（区划管理员）/ A bulletin generated "
        "before, with fresh download links (the area's admins)"
    )
    async def bulletin(self, info: Info, id: strawberry.ID) -> Bulletin | None:
        ctx = context_of(info)
        key = guard.id_or_none(id)
        if key is None:
            return None
        done = await usecases.kept_bulletin(ctx.runtime, ctx.caller, key)
        return None if done is None else _bulletin(done)


@strawberry.type
class BulletinMutation:
    @strawberry.mutation(
        description="生成信息通报：分条线数据及与上一同长期间的对比、下级区域排名、覆盖空白、超期"
        "事项，附图表的 PDF 与 XLSX（区划管理员）/ Generate a bulletin: figures by line of work "
        "against the previous period of the same length, sub-areas ranked, coverage gaps, "
        "overdue items; a PDF and an XLSX with charts (the area's admins)"
    )
    async def generate_bulletin(
        self, info: Info, input: GenerateBulletinInput
    ) -> GenerateBulletinPayload:
        ctx = context_of(info)
        done, errors = await _run(
            lambda: usecases.generate_bulletin(
                ctx.runtime, ctx.caller, input.area_code, input.from_, input.to
            )
        )
        if done is None:
            return GenerateBulletinPayload(bulletin=None, errors=errors)
        return GenerateBulletinPayload(bulletin=_bulletin(done), errors=errors)


RECORDS = Resource.RECORDS


def _held(type_name: str, *fields: str) -> dict[str, Rule]:
    return {f"{type_name}.{f}": Held(RECORDS) for f in fields}


RULES: dict[str, Rule] = {
    # The area's admins (RECORDS WRITE reaching the whole area; the area checked inside).
    "Mutation.generateBulletin": Gate(RECORDS, Action.WRITE),
    "Query.bulletin": Gate(RECORDS, Action.WRITE),
    **payload_rules("GenerateBulletinPayload", "bulletin", RECORDS),
    **_held(
        "Bulletin",
        "id",
        "areaCode",
        "periodFrom",
        "periodTo",
        "previousFrom",
        "previousTo",
        "generatedAt",
        "pdfUrl",
        "xlsxUrl",
        "expiresAt",
        "figures",
    ),
    **_held(
        "BulletinFigures",
        "items",
        "lines",
        "subAreas",
        "coverageGaps",
        "overdueCases",
        "overdueDecisions",
        "overdue",
        "months",
    ),
    **_held("BulletinFigure", "code", "labelZh", "value", "previous", "change"),
    **_held(
        "BulletinLine",
        "line",
        "labelZh",
        "completed",
        "previous",
        "change",
        "peopleServed",
        "volunteerHours",
    ),
    **_held("BulletinSubArea", "rank", "areaCode", "completed", "peopleServed"),
    **_held("BulletinGap", "areaCode", "family", "familyLabelZh"),
    **_held("BulletinOverdue", "kind", "sourceId", "areaCode", "dueOn"),
    **_held("BulletinMonth", "month", "completed"),
}
