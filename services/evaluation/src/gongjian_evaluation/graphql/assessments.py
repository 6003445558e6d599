"""创先争优 in the subgraph: cycles, assessments that explain every score, the workflow, members'
ratings, published results."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gongjian_evaluation.domain import assessments as domain
from gongjian_evaluation.domain.grading import GRADE_LABELS, Grade
from gongjian_evaluation.domain.metrics import METRICS
from gongjian_evaluation.domain.schemes import IndicatorKind
from gongjian_evaluation.graphql.schemes import IndicatorKind as IndicatorKindEnum
from gongjian_evaluation.store import assessments as store
from gongjian_evaluation.store import metrics as metric_store
from gongjian_evaluation.usecases import assessments as usecases
from gongjian_evaluation.usecases.assessments import GivenScore, RefusedError, Scorecard
from gongjian_kit import guard
from gongjian_kit.errors import ApiError
from gongjian_kit.field_rules import Gate, Held, Open, Rule, connection_rules, payload_rules
from gongjian_kit.gql import (
    Connection,
    RequestContext,
    UserError,
    context_of,
    decode_cursor,
    decode_keyset,
    make_connection,
    page_size,
    user_error_from,
)
from gongjian_kit.policy import Action, Resource

R = TypeVar("R")

CycleStatus = strawberry.enum(
    domain.CycleStatus, name="CycleStatus", description="评议周期状态 / Cycle status"
)
AssessmentStatus = strawberry.enum(
    domain.AssessmentStatus, name="AssessmentStatus", description="评议状态 / Assessment status"
)
GradeEnum = strawberry.enum(Grade, name="Grade", description="等次 / Grade")


def _dec(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _cycles(ctx: RequestContext) -> DataLoader[uuid.UUID, asyncpg.Record | None]:
    async def load(ids: list[uuid.UUID]) -> list[asyncpg.Record | None]:
        return await store.cycles_by_id(ctx.runtime.db, ids)

    return ctx.loader("cycles", lambda: DataLoader(load_fn=load))


def _scorecards(ctx: RequestContext) -> DataLoader[uuid.UUID, Scorecard | None]:
    """Every requested assessment's scorecard, one cycle at a time (a page of assessments of a
    cycle is measured set-based, not one by one)."""

    async def load(ids: list[uuid.UUID]) -> list[Scorecard | None]:
        rows = [r for r in await store.assessments_by_id(ctx.runtime.db, ids) if r is not None]
        by_cycle: dict[uuid.UUID, list[asyncpg.Record]] = {}
        for row in rows:
            by_cycle.setdefault(row["cycle_id"], []).append(row)
        cards: dict[uuid.UUID, Scorecard] = {}
        for cycle_id, members in by_cycle.items():
            cycle = await _cycles(ctx).load(cycle_id)
            assert cycle is not None
            cards.update(await usecases.scorecards(ctx.runtime.db, cycle, members))
        return [cards.get(i) for i in ids]

    return ctx.loader("scorecards", lambda: DataLoader(load_fn=load))


@strawberry.type(description="维度得分 / A dimension's score")
class DimensionScore:
    code: str
    label: str
    weight: float
    score: float | None


@strawberry.type(description="计入的证据 / An item of evidence a measure counted")
class EvidenceItem:
    source_kind: str = strawberry.field(description="来源（活动、参与、时长、诉求…）/ Source kind")
    source_id: strawberry.ID
    event_id: strawberry.ID | None = strawberry.field(description="最后一次更新它的事件 / Event")
    event_type: str | None
    occurred_on: date | None
    counts_in: str | None = strawberry.field(
        description="计入分子、分母或两者（迟到证据为空）/ Numerator, denominator (null: late)"
    )
    amount: float | None
    received_at: datetime | None


@strawberry.type(description="测评输入：可据此手工复核 / The inputs, to check the score by hand")
class IndicatorInputs:
    metric: str
    metric_label: str
    numerator: float | None
    numerator_label: str
    denominator: float | None = strawberry.field(description="空：计数或合计 / null: a count")
    denominator_label: str | None
    value: float | None
    period_from: date
    period_to: date
    curve_floor: float
    curve_target: float
    curve_cap: float
    curve: str = strawberry.field(description="计分曲线 / The scoring curve in words")
    evidence_count: int
    received_by: datetime | None = strawberry.field(
        description="截止时冻结的时刻（进行中为空：实时）/ Frozen as of (null: live)"
    )


@strawberry.type(description="指标得分及其解释 / An indicator's score and why")
class IndicatorScore:
    code: str
    label: str
    label_en: str
    dimension: str
    kind: IndicatorKindEnum  # type: ignore[valid-type]
    weight: float
    value: float | None
    score: float | None
    explanation: str
    inputs: IndicatorInputs | None
    self_score: float | None
    self_evidence: str | None
    reviewer_score: float | None
    reviewer_comment: str | None
    subject_id: strawberry.Private[uuid.UUID]
    cycle: strawberry.Private[asyncpg.Record]

    @strawberry.field(description="计入的证据（按编号分页）/ The evidence counted, paged")
    async def evidence(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[EvidenceItem]:
        ctx = context_of(info)
        if self.inputs is None:
            return make_connection([], [], 0, False, _zero)
        limit, position = page_size(first), decode_cursor(after)
        cycle = self.cycle
        rows = await metric_store.evidence_page(
            ctx.runtime.db,
            self.inputs.metric,
            self.subject_id,
            cycle["period_from"],
            cycle["period_to"],
            cycle["closed_at"],
            position,
            limit + 1,
        )
        return make_connection(
            [_evidence(r) for r in rows],
            [r["position"] for r in rows],
            limit,
            position is not None,
            lambda: _count_evidence(self.inputs),
        )


async def _count_evidence(inputs: IndicatorInputs | None) -> int:
    return inputs.evidence_count if inputs else 0


async def _zero() -> int:
    return 0


def _evidence(row: asyncpg.Record) -> EvidenceItem:
    return EvidenceItem(
        source_kind=row["source_kind"],
        source_id=strawberry.ID(str(row["source_id"])),
        event_id=strawberry.ID(str(row["event_id"])) if row["event_id"] else None,
        event_type=row["event_type"],
        occurred_on=row["occurred_on"],
        counts_in=row["counts_in"],
        amount=_dec(row["amount"]),
        received_at=row["received_at"],
    )


def _indicator(
    card_view: usecases.IndicatorView, cycle: asyncpg.Record, subject: uuid.UUID
) -> IndicatorScore:
    scheme = usecases.scheme_of(cycle)
    indicator = scheme.indicator(card_view.code)
    inputs, explanation = None, ""
    if indicator.kind is IndicatorKind.MEASURED and indicator.metric and indicator.curve:
        metric = METRICS[indicator.metric]
        curve = indicator.curve
        inputs = IndicatorInputs(
            metric=indicator.metric,
            metric_label=metric.label_zh,
            numerator=_dec(card_view.numerator),
            numerator_label=metric.numerator_zh,
            denominator=_dec(card_view.denominator),
            denominator_label=metric.denominator_zh,
            value=_dec(card_view.value),
            period_from=cycle["period_from"],
            period_to=cycle["period_to"],
            curve_floor=float(curve.floor),
            curve_target=float(curve.target),
            curve_cap=float(curve.cap),
            curve=curve.explain(),
            evidence_count=card_view.evidence_count or 0,
            received_by=cycle["closed_at"],
        )
        ratio = (
            f"{metric.numerator_zh} {card_view.numerator} ÷ {metric.denominator_zh} "
            f"{card_view.denominator} = "
            + (str(card_view.value) if card_view.value is not None else "无（分母为0，计0分）")
            if card_view.denominator is not None
            else f"{metric.numerator_zh} {card_view.numerator}"
        )
        explanation = (
            f"{cycle['period_from']}至{cycle['period_to']}：{ratio}；{curve.explain()}；"
            f"得分 {card_view.score}"
        )
    elif indicator.code == domain.MEMBER_REVIEW:
        explanation = (
            f"群众评议 {card_view.evidence_count or 0} 份，各维度评分合计 {card_view.numerator}"
            f"（共 {card_view.denominator or 0} 项，1–5分），平均分×20 = {card_view.score}"
        )
    else:
        explanation = (
            f"审核评分 {card_view.reviewer_score}"
            if card_view.reviewer_score is not None
            else f"自评 {card_view.self_score}（待审核）"
            if card_view.self_score is not None
            else "尚未评分，计0分"
        )
    return IndicatorScore(
        code=indicator.code,
        label=indicator.label_zh,
        label_en=indicator.label_en,
        dimension=card_view.dimension,
        kind=indicator.kind,
        weight=float(indicator.weight),
        value=_dec(card_view.value),
        score=_dec(card_view.score),
        explanation=explanation,
        inputs=inputs,
        self_score=_dec(card_view.self_score),
        self_evidence=card_view.self_evidence,
        reviewer_score=_dec(card_view.reviewer_score),
        reviewer_comment=card_view.reviewer_comment,
        subject_id=subject,
        cycle=cycle,
    )


@strawberry.type(
    description="评议（一个对象在一个周期中）/ An assessment of one subject in a cycle"
)
class Assessment:
    id: strawberry.ID
    cycle_id: strawberry.ID
    subject_kind: str = strawberry.field(description="ORGANIZATION 或 PERSON")
    subject_id: strawberry.ID
    area_code: str
    family: str | None
    status: AssessmentStatus  # type: ignore[valid-type]
    self_comment: str | None
    submitted_at: datetime | None
    returned_reason: str | None
    returned_at: datetime | None
    assessor: str | None = strawberry.field(description="指派的评审人账号 / Assigned assessor")
    review_comment: str | None
    reviewed_at: datetime | None
    rank: int | None
    grade: GradeEnum | None  # type: ignore[valid-type]
    grade_note: str | None = strawberry.field(description="等次说明（并列、名额）/ Why this grade")
    published_at: datetime | None
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Assessment:
        return cls(
            id=strawberry.ID(str(row["id"])),
            cycle_id=strawberry.ID(str(row["cycle_id"])),
            subject_kind=row["subject_kind"],
            subject_id=strawberry.ID(str(row["subject_id"])),
            area_code=row["area_code"],
            family=row["family"],
            status=domain.AssessmentStatus(row["status"]),
            self_comment=row["self_comment"],
            submitted_at=row["submitted_at"],
            returned_reason=row["returned_reason"],
            returned_at=row["returned_at"],
            assessor=row["assessor_subject"],
            review_comment=row["review_comment"],
            reviewed_at=row["reviewed_at"],
            rank=row["rank"],
            grade=Grade(row["grade"]) if row["grade"] else None,
            grade_note=row["grade_note"],
            published_at=row["published_at"],
            row=row,
        )

    @strawberry.field
    def status_label(self) -> str:
        return domain.STATUS_LABELS[domain.AssessmentStatus(self.status)]

    @strawberry.field
    def grade_label(self) -> str | None:
        return GRADE_LABELS[Grade(self.grade)] if self.grade else None

    async def _card(self, info: Info) -> tuple[Scorecard, asyncpg.Record]:
        ctx = context_of(info)
        card = await _scorecards(ctx).load(uuid.UUID(self.id))
        cycle = await _cycles(ctx).load(self.row["cycle_id"])
        assert card is not None
        assert cycle is not None
        return card, cycle

    @strawberry.field(
        description="总分：已公布为最终结果，截止后为冻结测评的暂计，进行中为实时预览 / Total: "
        "final once published, provisional once closed, a live preview while open"
    )
    async def total(self, info: Info) -> float | None:
        if self.row["status"] == domain.AssessmentStatus.PUBLISHED:
            return _dec(self.row["total"])
        card, _ = await self._card(info)
        return float(card.total)

    @strawberry.field(description="实时预览（周期进行中）/ Live (the cycle is still open)")
    async def live(self, info: Info) -> bool:
        _, cycle = await self._card(info)
        return bool(cycle["status"] == domain.CycleStatus.OPEN)

    @strawberry.field(description="各维度得分 / Dimension scores")
    async def dimensions(self, info: Info) -> list[DimensionScore]:
        card, cycle = await self._card(info)
        scheme = usecases.scheme_of(cycle)
        published = self.row["dimension_scores"] if self.row["status"] == "PUBLISHED" else None
        if isinstance(published, str):
            published = json.loads(published)
        return [
            DimensionScore(
                code=d.code,
                label=d.label_zh,
                weight=float(d.weight),
                score=float(published[d.code]) if published else _dec(card.dimensions.get(d.code)),
            )
            for d in scheme.dimensions
        ]

    @strawberry.field(description="各指标得分与解释 / Each indicator's score and explanation")
    async def indicators(self, info: Info) -> list[IndicatorScore]:
        card, cycle = await self._card(info)
        return [_indicator(v, cycle, self.row["subject_id"]) for v in card.indicators]

    @strawberry.field(description="已收到的群众评议份数 / Members' ratings received")
    async def member_review_count(self, info: Info) -> int:
        card, _ = await self._card(info)
        return card.member_reviews

    @strawberry.field(
        description="截止后才到达的证据（不改变已冻结结果）/ Evidence of the period that arrived "
        "after closing (it changes nothing frozen)"
    )
    async def late_evidence(self, info: Info) -> list[EvidenceItem]:
        ctx = context_of(info)
        cycle = await _cycles(ctx).load(self.row["cycle_id"])
        assert cycle is not None
        if cycle["closed_at"] is None:
            return []
        rows = await metric_store.late_evidence(
            ctx.runtime.db,
            [self.row["subject_id"]],
            cycle["period_from"],
            cycle["period_to"],
            cycle["closed_at"],
        )
        return [_evidence(r) for r in rows[:200]]


@strawberry.type(description="公布的结果 / A published result")
class CycleResult:
    assessment_id: strawberry.ID
    subject_kind: str
    subject_id: strawberry.ID
    family: str | None
    total: float | None
    rank: int | None
    grade: GradeEnum | None  # type: ignore[valid-type]
    grade_label: str | None
    grade_note: str | None
    dimensions: list[DimensionScore]


@strawberry.type(description="等次线与优秀比例 / Grade thresholds and the 优秀 share")
class CycleGrading:
    excellent: float
    good: float
    passing: float = strawberry.field(name="pass")
    excellent_share: float


@strawberry.type(description="创先争优评议周期 / An evaluation cycle")
class Cycle:
    id: strawberry.ID
    name: str
    area_code: str
    kind: str = strawberry.field(description="COLLECTIVE（五个好）或 INDIVIDUAL（五标兵）")
    status: CycleStatus  # type: ignore[valid-type]
    period_from: date
    period_to: date
    families: list[str] | None
    opened_at: datetime
    closed_at: datetime | None
    published_at: datetime | None
    scheme_id: strawberry.ID
    row: strawberry.Private[asyncpg.Record]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Cycle:
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            area_code=row["area_code"],
            kind=row["kind"],
            status=domain.CycleStatus(row["status"]),
            period_from=row["period_from"],
            period_to=row["period_to"],
            families=list(row["families"]) if row["families"] else None,
            opened_at=row["opened_at"],
            closed_at=row["closed_at"],
            published_at=row["published_at"],
            scheme_id=strawberry.ID(str(row["scheme_id"])),
            row=row,
        )

    @strawberry.field
    def status_label(self) -> str:
        return domain.CYCLE_STATUS_LABELS[domain.CycleStatus(self.status)]

    @strawberry.field(description="本周期的等次线 / This cycle's thresholds (fixed at opening)")
    def grading(self) -> CycleGrading:
        bands, share = usecases.bands_of(self.row)
        return CycleGrading(
            excellent=float(bands.excellent),
            good=float(bands.good),
            passing=float(bands.passing),
            excellent_share=float(share),
        )

    @strawberry.field(description="方案名称 / The scheme's name (as copied at opening)")
    def scheme_name(self) -> str:
        return usecases.scheme_of(self.row).name

    @strawberry.field(
        description="评议（按您的权限：区划管理员全部，组织管理员本组织，评审人指派的）/ The "
        "assessments you may see"
    )
    async def assessments(
        self,
        info: Info,
        status: AssessmentStatus | None = None,  # type: ignore[valid-type]
        family: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Assessment]:
        ctx = context_of(info)
        filters = usecases.assessment_filter(
            ctx.caller,
            self.row["id"],
            status=domain.AssessmentStatus(status).value if status else None,
            family=family,
        )
        limit, position = page_size(first), decode_cursor(after)
        rows = await store.assessments_page(
            ctx.runtime.db, filters, False, (position,) if position is not None else None, limit + 1
        )
        return make_connection(
            [Assessment.from_row(r) for r in rows],
            [r["seq"] for r in rows],
            limit,
            position is not None,
            lambda: store.count_assessments(ctx.runtime.db, filters),
        )

    @strawberry.field(description="公布的结果，按名次 / Published results, by rank")
    async def results(
        self,
        info: Info,
        family: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CycleResult]:
        ctx = context_of(info)
        filters = store.AssessmentFilter(
            cycle_id=self.row["id"], everything=True, status="PUBLISHED", family=family
        )
        limit, position = page_size(first), decode_keyset(after, 2)
        rows = await store.assessments_page(ctx.runtime.db, filters, True, position, limit + 1)
        scheme = usecases.scheme_of(self.row)
        return make_connection(
            [_result(r, scheme) for r in rows],
            [(r["rank"] or 2147483647, r["seq"]) for r in rows],
            limit,
            position is not None,
            lambda: store.count_assessments(ctx.runtime.db, filters),
        )


def _result(row: asyncpg.Record, scheme: object) -> CycleResult:
    dims = row["dimension_scores"]
    if isinstance(dims, str):
        dims = json.loads(dims)
    dims = dims or {}
    return CycleResult(
        assessment_id=strawberry.ID(str(row["id"])),
        subject_kind=row["subject_kind"],
        subject_id=strawberry.ID(str(row["subject_id"])),
        family=row["family"],
        total=_dec(row["total"]),
        rank=row["rank"],
        grade=Grade(row["grade"]) if row["grade"] else None,
        grade_label=GRADE_LABELS[Grade(row["grade"])] if row["grade"] else None,
        grade_note=row["grade_note"],
        dimensions=[
            DimensionScore(
                code=d.code,
                label=d.label_zh,
                weight=float(d.weight),
                score=float(dims[d.code]) if d.code in dims else None,
            )
            for d in scheme.dimensions  # type: ignore[attr-defined]
        ],
    )


@strawberry.type(description="待您参加的群众评议 / An organisation you may rate")
class RatingInvitation:
    assessment_id: strawberry.ID
    cycle_name: str
    organization_id: strawberry.ID
    dimensions: list[DimensionScore] = strawberry.field(description="需评分的维度 / To rate")
    rated: bool = strawberry.field(description="您是否已评 / Whether you rated it already")


@strawberry.type
class AssessmentQuery:
    @strawberry.field(description="评议周期（区划内，最新的在前）/ Cycles of an area, newest first")
    async def cycles(
        self,
        info: Info,
        area_code: str | None = None,
        status: CycleStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Cycle]:
        ctx = context_of(info)
        like = ctx.caller.scope_like(area_code)
        wanted = domain.CycleStatus(status).value if status else None
        limit, position = page_size(first), decode_cursor(after)
        rows = await store.cycles_page(ctx.runtime.db, like, wanted, position, limit + 1)
        return make_connection(
            [Cycle.from_row(r) for r in rows],
            [r["seq"] for r in rows],
            limit,
            position is not None,
            lambda: store.count_cycles(ctx.runtime.db, like, wanted),
        )

    @strawberry.field(description="按编号查评议周期 / A cycle by id")
    async def cycle(self, info: Info, id: strawberry.ID) -> Cycle | None:
        ctx = context_of(info)
        key = guard.id_or_none(id)
        row = await _cycles(ctx).load(key) if key else None
        if row is None or not ctx.caller.can_see_area(row["area_code"]):
            return None
        return Cycle.from_row(row)

    @strawberry.field(description="按编号查评议（含各指标解释）/ An assessment, explained")
    async def assessment(self, info: Info, id: strawberry.ID) -> Assessment | None:
        ctx = context_of(info)
        key = guard.id_or_none(id)
        if key is None:
            return None
        [row] = await store.assessments_by_id(ctx.runtime.db, [key])
        if row is None or not usecases.sees_assessment(ctx.caller, row):
            return None
        return Assessment.from_row(row)

    @strawberry.field(
        description="我可参加的群众评议（本人所在组织）/ The organisations you belong to that "
        "you may rate"
    )
    async def assessments_to_rate(self, info: Info) -> list[RatingInvitation]:
        ctx = context_of(info)
        rows = await usecases.assessments_to_rate(ctx.runtime, ctx.caller)
        rated = await usecases.rated_already(ctx.runtime, ctx.caller, [r["id"] for r in rows])
        found = []
        for row in rows:
            cycle = await _cycles(ctx).load(row["cycle_id"])
            assert cycle is not None
            scheme = usecases.scheme_of(cycle)
            found.append(
                RatingInvitation(
                    assessment_id=strawberry.ID(str(row["id"])),
                    cycle_name=cycle["name"],
                    organization_id=strawberry.ID(str(row["subject_id"])),
                    dimensions=[
                        DimensionScore(
                            code=d.code, label=d.label_zh, weight=float(d.weight), score=None
                        )
                        for d in scheme.dimensions
                    ],
                    rated=row["id"] in rated,
                )
            )
        return found


@strawberry.input(
    description="本周期的等次线与优秀比例（默认取系统设置）/ This cycle's grade thresholds and "
    "优秀 share (default: the settings)"
)
class GradingInput:
    excellent: float
    good: float
    passing: float = strawberry.field(name="pass")
    excellent_share: float


@strawberry.input(description="开启评议周期 / Open a cycle")
class OpenCycleInput:
    name: str
    area_code: str
    scheme_id: strawberry.ID
    from_: date = strawberry.field(name="from")
    to: date
    families: list[str] | None = strawberry.field(
        default=None, description="集体：组织类别（默认四类）/ Collective: families (default all)"
    )
    person_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="个人：提名人员 / Individual: the nominated people"
    )
    grading: GradingInput | None = None


@strawberry.input
class CycleIdInput:
    id: strawberry.ID


@strawberry.input(description="指派评审人 / Assign an assessor")
class AssignAssessorInput:
    cycle_id: strawberry.ID
    assessor: str = strawberry.field(description="评审人的账号（令牌 sub）/ The assessor's subject")
    assessment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="默认该周期全部未公布的评议 / Default: all not yet published"
    )


@strawberry.input(description="一项评分 / A score for a SCORED indicator")
class ScoreInput:
    code: str
    score: float
    note: str | None = strawberry.field(default=None, description="佐证或意见 / Evidence, comment")


@strawberry.input(description="提交自评 / Submit the self-assessment")
class SelfAssessmentInput:
    assessment_id: strawberry.ID
    comment: str | None = None
    scores: list[ScoreInput] = strawberry.field(default_factory=list)


@strawberry.input(description="上级审核 / Superior review")
class ReviewAssessmentInput:
    assessment_id: strawberry.ID
    comment: str | None = None
    scores: list[ScoreInput] = strawberry.field(default_factory=list)


@strawberry.input(description="退回修改 / Return for revision")
class ReturnAssessmentInput:
    assessment_id: strawberry.ID
    reason: str


@strawberry.input(description="维度评分（1–5）/ A rating of one dimension")
class RatingInput:
    dimension: str
    rating: int


@strawberry.input(
    description="群众评议（匿名，每人一次）/ Rate your organisation (once, anonymous)"
)
class RateOrganizationInput:
    assessment_id: strawberry.ID
    ratings: list[RatingInput]


@strawberry.type
class CyclePayload:
    cycle: Cycle | None
    errors: list[UserError]


@strawberry.type
class AssessmentPayload:
    assessment: Assessment | None
    errors: list[UserError]


@strawberry.type
class AssignAssessorPayload:
    assigned: int | None
    errors: list[UserError]


@strawberry.type
class RatePayload:
    accepted: bool
    errors: list[UserError]


async def _run(make: Callable[[], Awaitable[R]]) -> tuple[R | None, list[UserError]]:
    try:
        return await make(), []
    except RefusedError as refused:
        return None, [user_error_from(e) for e in refused.errors]
    except ApiError as exc:
        return None, [user_error_from(exc)]


def _id(raw: strawberry.ID, field: str) -> uuid.UUID:
    return guard.parse_id(raw, field)


def _scores(scores: list[ScoreInput]) -> list[GivenScore]:
    return [GivenScore(s.code.strip(), Decimal(str(s.score)), s.note) for s in scores]


async def _cycle_payload(make: Callable[[], Awaitable[asyncpg.Record]]) -> CyclePayload:
    row, errors = await _run(make)
    return CyclePayload(cycle=Cycle.from_row(row) if row else None, errors=errors)


async def _assessment_payload(make: Callable[[], Awaitable[asyncpg.Record]]) -> AssessmentPayload:
    row, errors = await _run(make)
    return AssessmentPayload(assessment=Assessment.from_row(row) if row else None, errors=errors)


@strawberry.type
class AssessmentMutation:
    @strawberry.mutation(
        description="开启评议周期（复制方案，生成评议对象）/ Open a cycle (the scheme is copied)"
    )
    async def open_cycle(self, info: Info, input: OpenCycleInput) -> CyclePayload:
        ctx = context_of(info)
        return await _cycle_payload(
            lambda: usecases.open_cycle(
                ctx.runtime,
                ctx.caller,
                name=input.name,
                area_code=input.area_code,
                # a malformed id is told with the input's other problems, not instead of them
                scheme_id=guard.id_or_none(input.scheme_id),
                period_from=input.from_,
                period_to=input.to,
                families=input.families,
                person_ids=[_id(p, f"personIds[{i}]") for i, p in enumerate(input.person_ids)]
                if input.person_ids
                else None,
                grading=usecases.Grading(
                    Decimal(str(input.grading.excellent)),
                    Decimal(str(input.grading.good)),
                    Decimal(str(input.grading.passing)),
                    Decimal(str(input.grading.excellent_share)),
                )
                if input.grading
                else None,
            )
        )

    @strawberry.mutation(description="截止：冻结测评数据 / Close a cycle: freeze its measures")
    async def close_cycle(self, info: Info, input: CycleIdInput) -> CyclePayload:
        ctx = context_of(info)
        return await _cycle_payload(
            lambda: usecases.close_cycle(ctx.runtime, ctx.caller, _id(input.id, "id"))
        )

    @strawberry.mutation(
        description="公布结果（排名、等次、优秀比例）/ Publish the reviewed results"
    )
    async def publish_cycle(self, info: Info, input: CycleIdInput) -> CyclePayload:
        ctx = context_of(info)
        return await _cycle_payload(
            lambda: usecases.publish_cycle(ctx.runtime, ctx.caller, _id(input.id, "id"))
        )

    @strawberry.mutation(description="指派评审人 / Assign an assessor")
    async def assign_assessor(
        self, info: Info, input: AssignAssessorInput
    ) -> AssignAssessorPayload:
        ctx = context_of(info)
        count, errors = await _run(
            lambda: usecases.assign_assessor(
                ctx.runtime,
                ctx.caller,
                _id(input.cycle_id, "cycleId"),
                input.assessor,
                [_id(a, f"assessmentIds[{i}]") for i, a in enumerate(input.assessment_ids)]
                if input.assessment_ids
                else None,
            )
        )
        return AssignAssessorPayload(assigned=count, errors=errors)

    @strawberry.mutation(description="提交自评 / Submit the self-assessment")
    async def submit_self_assessment(
        self, info: Info, input: SelfAssessmentInput
    ) -> AssessmentPayload:
        ctx = context_of(info)
        return await _assessment_payload(
            lambda: usecases.submit_self_assessment(
                ctx.runtime,
                ctx.caller,
                _id(input.assessment_id, "assessmentId"),
                input.comment,
                _scores(input.scores),
            )
        )

    @strawberry.mutation(description="上级审核 / Review (the assigned assessor)")
    async def review_assessment(
        self, info: Info, input: ReviewAssessmentInput
    ) -> AssessmentPayload:
        ctx = context_of(info)
        return await _assessment_payload(
            lambda: usecases.review_assessment(
                ctx.runtime,
                ctx.caller,
                _id(input.assessment_id, "assessmentId"),
                input.comment,
                _scores(input.scores),
            )
        )

    @strawberry.mutation(description="退回修改 / Return for revision, with a reason")
    async def return_assessment(
        self, info: Info, input: ReturnAssessmentInput
    ) -> AssessmentPayload:
        ctx = context_of(info)
        return await _assessment_payload(
            lambda: usecases.return_assessment(
                ctx.runtime, ctx.caller, _id(input.assessment_id, "assessmentId"), input.reason
            )
        )

    @strawberry.mutation(
        description="群众评议：每个维度评1–5分，每人一次，匿名 / Rate your organisation: each "
        "dimension 1 to 5, once, anonymously"
    )
    async def rate_organization(self, info: Info, input: RateOrganizationInput) -> RatePayload:
        ctx = context_of(info)
        ratings: dict[str, int] = {}
        for r in input.ratings:
            ratings[r.dimension] = r.rating
        row, errors = await _run(
            lambda: usecases.rate_organization(
                ctx.runtime, ctx.caller, _id(input.assessment_id, "assessmentId"), ratings
            )
        )
        return RatePayload(accepted=row is not None, errors=errors)


ASSESSMENTS = Resource.ASSESSMENTS
WRITE = Gate(ASSESSMENTS, Action.WRITE)
ASSESSMENT_FIELDS = (
    "id",
    "cycleId",
    "subjectKind",
    "subjectId",
    "areaCode",
    "family",
    "status",
    "statusLabel",
    "selfComment",
    "submittedAt",
    "returnedReason",
    "returnedAt",
    "assessor",
    "reviewComment",
    "reviewedAt",
    "rank",
    "grade",
    "gradeLabel",
    "gradeNote",
    "publishedAt",
    "total",
    "live",
    "dimensions",
    "indicators",
    "memberReviewCount",
    "lateEvidence",
)
RULES: dict[str, Rule] = {
    # Cycles and their published results are the area's records: anyone who reads them.
    "Query.cycles": Gate(Resource.RECORDS),
    "Query.cycle": Gate(Resource.RECORDS),
    **{
        f"Cycle.{f}": Held(Resource.RECORDS)
        for f in (
            "id",
            "name",
            "areaCode",
            "kind",
            "status",
            "statusLabel",
            "periodFrom",
            "periodTo",
            "families",
            "openedAt",
            "closedAt",
            "publishedAt",
            "schemeId",
            "schemeName",
            "grading",
            "results",
        )
    },
    # The workflow's assessments: as far as the caller's ASSESSMENTS reach goes (filtered in SQL).
    "Cycle.assessments": Gate(ASSESSMENTS),
    "Query.assessment": Gate(ASSESSMENTS),
    # A member's invitations to rate the organisations they belong to (SELF).
    "Query.assessmentsToRate": Gate(ASSESSMENTS),
    **{f"Assessment.{f}": Held(ASSESSMENTS) for f in ASSESSMENT_FIELDS},
    **{
        f"DimensionScore.{f}": Open("a label and a score")
        for f in ("code", "label", "weight", "score")
    },
    **{
        f"CycleGrading.{f}": Held(Resource.RECORDS)
        for f in ("excellent", "good", "pass", "excellentShare")
    },
    **{
        f"IndicatorScore.{f}": Held(ASSESSMENTS)
        for f in (
            "code",
            "label",
            "labelEn",
            "dimension",
            "kind",
            "weight",
            "value",
            "score",
            "explanation",
            "inputs",
            "selfScore",
            "selfEvidence",
            "reviewerScore",
            "reviewerComment",
            "evidence",
        )
    },
    **{
        f"IndicatorInputs.{f}": Held(ASSESSMENTS)
        for f in (
            "metric",
            "metricLabel",
            "numerator",
            "numeratorLabel",
            "denominator",
            "denominatorLabel",
            "value",
            "periodFrom",
            "periodTo",
            "curveFloor",
            "curveTarget",
            "curveCap",
            "curve",
            "evidenceCount",
            "receivedBy",
        )
    },
    **{
        f"EvidenceItem.{f}": Held(ASSESSMENTS)
        for f in (
            "sourceKind",
            "sourceId",
            "eventId",
            "eventType",
            "occurredOn",
            "countsIn",
            "amount",
            "receivedAt",
        )
    },
    **{
        f"CycleResult.{f}": Held(Resource.RECORDS)
        for f in (
            "assessmentId",
            "subjectKind",
            "subjectId",
            "family",
            "total",
            "rank",
            "grade",
            "gradeLabel",
            "gradeNote",
            "dimensions",
        )
    },
    **{
        f"RatingInvitation.{f}": Held(ASSESSMENTS)
        for f in ("assessmentId", "cycleName", "organizationId", "dimensions", "rated")
    },
    "Mutation.openCycle": WRITE,
    "Mutation.closeCycle": WRITE,
    "Mutation.publishCycle": WRITE,
    "Mutation.assignAssessor": WRITE,
    "Mutation.submitSelfAssessment": WRITE,
    "Mutation.reviewAssessment": WRITE,
    "Mutation.returnAssessment": WRITE,
    "Mutation.rateOrganization": WRITE,
    "AssignAssessorPayload.assigned": Held(ASSESSMENTS),
    "AssignAssessorPayload.errors": Open("typed errors"),
    "RatePayload.accepted": Held(ASSESSMENTS),
    "RatePayload.errors": Open("typed errors"),
    **connection_rules("Cycle", Resource.RECORDS),
    **connection_rules("CycleResult", Resource.RECORDS),
    **connection_rules("Assessment", ASSESSMENTS),
    **connection_rules("EvidenceItem", ASSESSMENTS),
    **payload_rules("CyclePayload", "cycle", Resource.RECORDS),
    **payload_rules("AssessmentPayload", "assessment", ASSESSMENTS),
}
