"""创先争优 cycles and their assessments: opening over an area and a period, the live preview,
freezing at closing, the review workflow, members' ratings, and publication with ranks and
grades under the 优秀 cap.

Who may do what is the policy's ASSESSMENTS row: the area's admins open, close, assign and
publish; ORG_ADMIN self-assesses its own organisations; an ASSESSOR reviews (or returns) what is
assigned to them; a MEMBER rates the organisations they belong to, once, anonymously.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from gongjian_evaluation.domain import assessments as domain
from gongjian_evaluation.domain.assessments import AssessmentStatus, CycleStatus
from gongjian_evaluation.domain.grading import Bands, grade_all
from gongjian_evaluation.domain.metrics import METRICS
from gongjian_evaluation.domain.schemes import IndicatorKind, Scheme, SchemeKind, weighted_total
from gongjian_evaluation.settings import evaluation_settings
from gongjian_evaluation.store import assessments as store
from gongjian_evaluation.store import metrics as metric_store
from gongjian_evaluation.store import schemes as scheme_store
from gongjian_evaluation.store import stats as stats_store
from gongjian_kit import clock, policy
from gongjian_kit.areas import area_prefix, is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.db import Executor
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.personal_data import protector_of
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime, UnitOfWork

EVENT = "gongjian.evaluation."
FAMILIES = ("PARTY", "TRADE_UNION", "YOUTH_LEAGUE", "WOMENS_FEDERATION")
MAX_TEXT = 5000
REVIEW_KEY_FIELD = "member_review"


class RefusedError(Exception):
    def __init__(self, errors: list[ApiError]) -> None:
        super().__init__("; ".join(e.en for e in errors))
        self.errors = errors


@dataclass
class Problems:
    errors: list[ApiError] = field(default_factory=list)

    def bad(self, field: str, zh: str, en: str, code: ErrorCode = ErrorCode.BAD_USER_INPUT) -> None:
        self.errors.append(ApiError(code, zh, en, field))

    def refuse(self) -> None:
        if self.errors:
            raise RefusedError(self.errors)


def refuse(field: str | None, code: ErrorCode, zh: str, en: str) -> RefusedError:
    return RefusedError([ApiError(code, zh, en, field)])


def scheme_of(cycle: asyncpg.Record) -> Scheme:
    definition = cycle["definition"]
    return Scheme.from_json(definition if isinstance(definition, dict) else _json(definition))


def _json(text: str) -> Any:
    import json  # noqa: PLC0415

    return json.loads(text)


def bands_of(cycle: asyncpg.Record) -> tuple[Bands, Decimal]:
    """The grade bands and the 优秀 share the cycle opened with."""
    raw = cycle["bands"] if isinstance(cycle["bands"], dict) else _json(cycle["bands"])
    return Bands.from_json(raw), Decimal(raw["excellentShare"])


# Access ------------------------------------------------------------------------------------


def _admin(caller: Caller, area_code: str, field: str = "areaCode") -> None:
    """The area's admins (ASSESSMENTS WRITE over the whole area)."""
    reach = policy.reach(caller, Resource.ASSESSMENTS, Action.WRITE)
    if not reach.area:
        raise refuse(
            None,
            ErrorCode.FORBIDDEN,
            "只有区划管理员可以进行此操作",
            "Only the area's admins may do this",
        )
    if not caller.can_see_area(area_code):
        raise refuse(field, ErrorCode.FORBIDDEN, "该区划不在您的管理范围内", "Outside your area")


def sees_assessment(caller: Caller, row: asyncpg.Record) -> bool:
    if not policy.allows(caller, Resource.ASSESSMENTS):
        return False
    reach = policy.reach(caller, Resource.ASSESSMENTS)
    if not caller.can_see_area(row["area_code"]):
        return False
    if reach.area:
        return True
    if row["subject_kind"] == "ORGANIZATION" and row["subject_id"] in (reach.own_orgs or ()):
        return True
    if reach.assigned and row["assessor_subject"] == caller.subject:
        return True
    return bool(row["subject_kind"] == "PERSON" and row["subject_id"] == reach.self_id)


def assessment_filter(caller: Caller, cycle_id: uuid.UUID, **extra: Any) -> store.AssessmentFilter:
    reach = policy.reach(caller, Resource.ASSESSMENTS)
    return store.AssessmentFilter(
        cycle_id=cycle_id,
        everything=reach.area,
        orgs=list(reach.own_orgs) if reach.own_orgs is not None else None,
        assessor=caller.subject if reach.assigned else None,
        person=reach.self_id,
        **extra,
    )


def _not_found(field: str = "assessmentId") -> RefusedError:
    return refuse(
        field,
        ErrorCode.NOT_FOUND,
        "评议不存在或不在您的范围内",
        "The assessment does not exist or is outside your scope",
    )


async def _assessment(uow: UnitOfWork, caller: Caller, assessment_id: uuid.UUID) -> asyncpg.Record:
    row = await store.assessment(uow.conn, assessment_id, lock=True)
    if row is None or not sees_assessment(caller, row):
        raise _not_found()
    return row


def _move(row: asyncpg.Record, target: AssessmentStatus) -> None:
    current = AssessmentStatus(row["status"])
    if not domain.can_move(current, target):
        zh, en = domain.refusal(current, target)
        raise refuse("status", ErrorCode.CONFLICT, zh, en)


def assessment_data(row: asyncpg.Record, cycle: asyncpg.Record) -> dict[str, Any]:
    """What every assessment event carries: ids, where, status, scores (no names, no text)."""
    return {
        "assessmentId": str(row["id"]),
        "cycleId": str(row["cycle_id"]),
        "kind": cycle["kind"],
        "subjectKind": row["subject_kind"],
        "subjectId": str(row["subject_id"]),
        "areaCode": row["area_code"],
        "family": row["family"],
        "status": row["status"],
        "total": float(row["total"]) if row["total"] is not None else None,
        "rank": row["rank"],
        "grade": row["grade"],
    }


# Cycles ------------------------------------------------------------------------------------


def _scheme_applies(caller: Caller, scheme_area: str | None) -> bool:
    """The shipped defaults, a district's own schemes for its streets and communities too."""
    if scheme_area is None:
        return True
    return caller.can_see_area(scheme_area) or caller.area.startswith(area_prefix(scheme_area))


@dataclass(frozen=True)
class Grading:
    """A cycle's own grade thresholds and 优秀 share (else the settings')."""

    excellent: Decimal
    good: Decimal
    passing: Decimal
    excellent_share: Decimal

    def problems(self, problems: Problems) -> None:
        if not Decimal(0) <= self.passing < self.good < self.excellent <= Decimal(100):
            problems.bad(
                "grading",
                "等次线须满足 0 ≤ 合格 < 良好 < 优秀 ≤ 100",
                "Thresholds must rise: 0 <= pass < good < excellent <= 100",
            )
        if not Decimal(0) <= self.excellent_share <= Decimal(1):
            problems.bad(
                "grading.excellentShare", "优秀比例须在0至1之间", "The share is between 0 and 1"
            )


async def open_cycle(
    runtime: Runtime,
    caller: Caller,
    *,
    name: str,
    area_code: str,
    scheme_id: uuid.UUID | None,
    period_from: date,
    period_to: date,
    families: list[str] | None,
    person_ids: list[uuid.UUID] | None,
    grading: Grading | None = None,
) -> asyncpg.Record:
    """Open a cycle: the scheme is copied (its later changes do not reach this cycle), the
    grade bands and the 优秀 share are those in force now, and every subject gets an assessment:
    all active organisations of the families in the area (COLLECTIVE), or the nominated people
    (INDIVIDUAL)."""
    problems = Problems()
    name = name.strip()
    if not 1 <= len(name) <= 200:
        problems.bad("name", "名称须为1至200字", "The name is 1 to 200 characters")
    if not is_area_code(area_code):
        problems.bad("areaCode", "区划代码应为12位数字", "The area code must be 12 digits")
    if period_to < period_from:
        problems.bad("to", "结束日期不能早于开始日期", "The period ends before it starts")
    elif (period_to - period_from).days > 3 * 366:
        problems.bad("to", "周期不超过三年", "A cycle spans at most three years")
    if grading is not None:
        grading.problems(problems)
    if scheme_id is None:
        problems.bad("schemeId", "编号格式无效", "Malformed id")
    problems.refuse()
    assert scheme_id is not None
    _admin(caller, area_code)
    async with runtime.unit_of_work() as uow:
        scheme_row = await scheme_store.scheme_by_id(uow.conn, scheme_id)
        if scheme_row is None or not _scheme_applies(caller, scheme_row["area_code"]):
            raise refuse("schemeId", ErrorCode.NOT_FOUND, "评价方案不存在", "No such scheme")
        scheme = Scheme.from_json(
            scheme_row["definition"]
            if isinstance(scheme_row["definition"], dict)
            else _json(scheme_row["definition"])
        )
        subjects: list[tuple[str, uuid.UUID, str, str | None]] = []
        if scheme.kind is SchemeKind.COLLECTIVE:
            chosen = list(dict.fromkeys(families or FAMILIES))
            unknown = [f for f in chosen if f not in FAMILIES]
            if unknown or person_ids:
                problems.bad(
                    "families",
                    "集体评议按组织类别（党、工会、共青团、妇联）确定对象",
                    "A collective cycle assesses organisations of families",
                )
            problems.refuse()
            orgs = await metric_store.organizations_in(
                uow.conn, caller.scope_like(area_code), chosen
            )
            subjects = [("ORGANIZATION", o["id"], o["area_code"], o["family"]) for o in orgs]
        else:
            chosen = []
            people = list(dict.fromkeys(person_ids or []))
            if not people or len(people) > 5000:
                problems.bad(
                    "personIds",
                    "个人评议须提名1至5000人",
                    "An individual cycle needs 1 to 5000 nominated people",
                )
            problems.refuse()
            subjects = [("PERSON", p, area_code, None) for p in people]
        settings = evaluation_settings()
        cycle = await store.insert_cycle(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "name": name,
                "area_code": area_code,
                "scheme_id": scheme_id,
                "kind": scheme.kind.value,
                "definition": scheme.to_json(),
                "bands": {
                    **Bands.from_settings(settings).to_json(),
                    "excellentShare": str(settings.excellent_share),
                }
                if grading is None
                else {
                    **Bands(grading.excellent, grading.good, grading.passing).to_json(),
                    "excellentShare": str(grading.excellent_share),
                },
                "period_from": period_from,
                "period_to": period_to,
                "families": chosen or None,
                "opened_by": caller.subject,
            },
        )
        count = await store.insert_assessments(uow.conn, cycle["id"], subjects)
        await uow.publish(
            f"{EVENT}cycle.opened.v1",
            str(cycle["id"]),
            {
                "cycleId": str(cycle["id"]),
                "areaCode": area_code,
                "kind": scheme.kind.value,
                "schemeId": str(scheme_id),
                "periodFrom": period_from.isoformat(),
                "periodTo": period_to.isoformat(),
                "families": chosen,
                "subjectCount": count,
            },
        )
        return cycle


@dataclass(frozen=True)
class IndicatorView:
    """One indicator of one assessment, with everything needed to check it by hand."""

    dimension: str
    code: str
    kind: IndicatorKind
    weight: Decimal
    score: Decimal | None
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    evidence_count: int | None = None
    frozen_at: datetime | None = None
    self_score: Decimal | None = None
    self_evidence: str | None = None
    reviewer_score: Decimal | None = None
    reviewer_comment: str | None = None


@dataclass(frozen=True)
class Scorecard:
    indicators: list[IndicatorView]
    total: Decimal
    dimensions: dict[str, Decimal]
    member_reviews: int


async def scorecards(
    conn: Executor, cycle: asyncpg.Record, rows: list[asyncpg.Record]
) -> dict[uuid.UUID, Scorecard]:
    """The assessments' indicators and totals: measured values as frozen at closing, or live
    (measured now) while the cycle is open; scored ones as the reviewer (else the organisation)
    gave them; the members' ratings as their indicator."""
    scheme = scheme_of(cycle)
    ids = [r["id"] for r in rows]
    stored = await store.indicators(conn, ids)
    ratings = await store.member_ratings(conn, ids)
    live: dict[str, dict[uuid.UUID, metric_store.Measured]] = {}
    if cycle["status"] == CycleStatus.OPEN:
        subjects = [r["subject_id"] for r in rows]
        for metric in {i.metric for d in scheme.dimensions for i in d.indicators if i.metric}:
            live[metric] = await metric_store.measure(
                conn, metric, subjects, cycle["period_from"], cycle["period_to"]
            )
    cards: dict[uuid.UUID, Scorecard] = {}
    for row in rows:
        views: list[IndicatorView] = []
        scores: dict[str, Decimal | None] = {}
        flat = [r for review in ratings[row["id"]] for r in review.values()]
        for dimension in scheme.dimensions:
            for indicator in dimension.indicators:
                kept = stored[row["id"]].get(indicator.code)
                if indicator.kind is IndicatorKind.MEASURED and indicator.metric:
                    measured = live.get(indicator.metric, {}).get(row["subject_id"])
                    if measured is not None:
                        value, num, den, count, frozen = (
                            measured.value,
                            measured.numerator,
                            measured.denominator,
                            measured.evidence_count,
                            None,
                        )
                    elif kept is not None:
                        value, num, den, count, frozen = (
                            kept["value"],
                            kept["numerator"],
                            kept["denominator"],
                            kept["evidence_count"],
                            kept["frozen_at"],
                        )
                    else:
                        value, num, den, count, frozen = None, Decimal(0), None, 0, None
                    assert indicator.curve is not None
                    score: Decimal | None = indicator.curve.score(value)
                    views.append(
                        IndicatorView(
                            dimension.code,
                            indicator.code,
                            indicator.kind,
                            indicator.weight,
                            score,
                            value=value,
                            numerator=num,
                            denominator=den,
                            evidence_count=count,
                            frozen_at=frozen,
                        )
                    )
                elif indicator.code == domain.MEMBER_REVIEW:
                    score = domain.rating_score(flat)
                    views.append(
                        IndicatorView(
                            dimension.code,
                            indicator.code,
                            indicator.kind,
                            indicator.weight,
                            score,
                            value=(Decimal(sum(flat)) / len(flat)) if flat else None,
                            numerator=Decimal(sum(flat)),
                            denominator=Decimal(len(flat)) if flat else None,
                            evidence_count=len(ratings[row["id"]]),
                        )
                    )
                else:
                    by = domain.ScoredBy(
                        kept["self_score"] if kept else None,
                        kept["reviewer_score"] if kept else None,
                    )
                    score = by.score
                    views.append(
                        IndicatorView(
                            dimension.code,
                            indicator.code,
                            indicator.kind,
                            indicator.weight,
                            score,
                            self_score=by.self_score,
                            self_evidence=kept["self_evidence"] if kept else None,
                            reviewer_score=by.reviewer_score,
                            reviewer_comment=kept["reviewer_comment"] if kept else None,
                        )
                    )
                scores[indicator.code] = score
        total, dimensions = weighted_total(scheme, scores)
        cards[row["id"]] = Scorecard(views, total, dimensions, len(ratings[row["id"]]))
    return cards


async def close_cycle(runtime: Runtime, caller: Caller, cycle_id: uuid.UUID) -> asyncpg.Record:
    """Freeze: every measured indicator of every assessment as of now (evidence arriving later
    is listed as arrived after closing and changes nothing), with provisional totals."""
    async with runtime.unit_of_work() as uow:
        cycle = await store.cycle(uow.conn, cycle_id, lock=True)
        if cycle is None or not caller.can_see_area(cycle["area_code"]):
            raise refuse("id", ErrorCode.NOT_FOUND, "评议周期不存在", "No such cycle")
        _admin(caller, cycle["area_code"])
        if cycle["status"] != CycleStatus.OPEN:
            raise refuse(
                "status", ErrorCode.CONFLICT, "评议周期已截止", "The cycle is closed already"
            )
        at = clock.now()
        rows = await store.cycle_subjects(uow.conn, cycle_id)
        await freeze(uow.conn, cycle, rows, at)
        closed = await store.update_cycle(
            uow.conn,
            cycle_id,
            status=CycleStatus.CLOSED.value,
            closed_at=at,
            closed_by=caller.subject,
        )
        cards = await scorecards(uow.conn, closed, rows)
        await store.set_totals(
            uow.conn, [(r["id"], cards[r["id"]].total, cards[r["id"]].dimensions) for r in rows]
        )
        await uow.publish(
            f"{EVENT}cycle.closed.v1",
            str(cycle_id),
            {
                "cycleId": str(cycle_id),
                "areaCode": cycle["area_code"],
                "kind": cycle["kind"],
                "closedAt": at.isoformat(),
                "subjectCount": len(rows),
            },
        )
        return closed


async def freeze(
    conn: Any, cycle: asyncpg.Record, rows: list[asyncpg.Record], at: datetime
) -> None:
    """Measure every metric of the scheme for every subject at once (set-based) and keep it."""
    scheme = scheme_of(cycle)
    by_subject = {r["subject_id"]: r["id"] for r in rows}
    subjects = list(by_subject)
    for dimension in scheme.dimensions:
        for indicator in dimension.indicators:
            if indicator.kind is not IndicatorKind.MEASURED or not indicator.metric:
                continue
            assert indicator.curve is not None
            measured = await metric_store.measure(
                conn, indicator.metric, subjects, cycle["period_from"], cycle["period_to"], at
            )
            await store.freeze_measured(
                conn,
                indicator.code,
                at,
                [
                    (
                        by_subject[s],
                        m.numerator,
                        m.denominator,
                        m.value,
                        m.evidence_count,
                        indicator.curve.score(m.value),
                    )
                    for s in subjects
                    if (m := measured.get(s)) is not None
                ],
            )


async def assign_assessor(
    runtime: Runtime,
    caller: Caller,
    cycle_id: uuid.UUID,
    assessor: str,
    assessment_ids: list[uuid.UUID] | None,
) -> int:
    assessor = assessor.strip()
    if not 1 <= len(assessor) <= 200:
        raise refuse("assessor", ErrorCode.BAD_USER_INPUT, "请填写评审人账号", "Name the assessor")
    async with runtime.unit_of_work() as uow:
        cycle = await store.cycle(uow.conn, cycle_id)
        if cycle is None or not caller.can_see_area(cycle["area_code"]):
            raise refuse("cycleId", ErrorCode.NOT_FOUND, "评议周期不存在", "No such cycle")
        _admin(caller, cycle["area_code"])
        done = await uow.conn.fetchval(
            "WITH u AS (UPDATE assessment SET assessor_subject = $2 WHERE cycle_id = $1 "
            "AND status <> 'PUBLISHED' AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[])) "
            "RETURNING 1) SELECT count(*) FROM u",
            cycle_id,
            assessor,
            assessment_ids,
        )
        return int(done)


# The workflow ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GivenScore:
    code: str
    score: Decimal
    note: str | None = None


def _scored(cycle: asyncpg.Record, given: list[GivenScore], problems: Problems) -> None:
    scheme = scheme_of(cycle)
    known = {
        i.code: i for d in scheme.dimensions for i in d.indicators if i.kind is IndicatorKind.SCORED
    }
    for n, score in enumerate(given):
        indicator = known.get(score.code)
        if indicator is None or score.code == domain.MEMBER_REVIEW:
            problems.bad(
                f"scores[{n}].code",
                "不是本方案需评分的指标",
                "Not an indicator of this scheme that people score",
            )
        if not Decimal(0) <= score.score <= Decimal(100):
            problems.bad(f"scores[{n}].score", "评分须为0至100", "A score is 0 to 100")
        if score.note is not None and len(score.note) > MAX_TEXT:
            problems.bad(f"scores[{n}].note", "说明不超过5000字", "At most 5000 characters")


async def submit_self_assessment(
    runtime: Runtime,
    caller: Caller,
    assessment_id: uuid.UUID,
    comment: str | None,
    scores: list[GivenScore],
) -> asyncpg.Record:
    """自评: the organisation (its ORG_ADMIN, or the area's admins for it) or the person
    themself scores the SCORED indicators with evidence and submits."""
    async with runtime.unit_of_work() as uow:
        row = await _assessment(uow, caller, assessment_id)
        reach = policy.reach(caller, Resource.ASSESSMENTS, Action.WRITE)
        own = (
            row["subject_id"] in (reach.own_orgs or ())
            if row["subject_kind"] == "ORGANIZATION"
            else row["subject_id"] == reach.self_id
        )
        if not (reach.area or own):
            raise refuse(
                "assessmentId",
                ErrorCode.FORBIDDEN,
                "只有被评对象（或区划管理员）可以提交自评",
                "Only the subject (or the area's admins) may submit its self-assessment",
            )
        return await _score_and_move(uow, row, AssessmentStatus.SUBMITTED, comment, scores)


async def _score_and_move(
    uow: UnitOfWork,
    row: asyncpg.Record,
    target: AssessmentStatus,
    comment: str | None,
    scores: list[GivenScore],
) -> asyncpg.Record:
    """Submit (the subject's own scores and evidence) or review (the assessor's scores and
    comments): every problem at once, the scores, the step and its event together."""
    _move(row, target)
    cycle = await _cycle_of(uow, row)
    problems = Problems()
    if comment is not None and len(comment) > MAX_TEXT:
        problems.bad("comment", "说明或意见不超过5000字", "At most 5000 characters")
    _scored(cycle, scores, problems)
    problems.refuse()
    by_reviewer = target is AssessmentStatus.REVIEWED
    for score in scores:
        note = (score.note or "").strip() or None
        await store.set_scored(
            uow.conn,
            row["id"],
            score.code,
            self_score=None if by_reviewer else score.score,
            self_evidence=None if by_reviewer else note,
            reviewer_score=score.score if by_reviewer else None,
            reviewer_comment=note if by_reviewer else None,
            by_reviewer=by_reviewer,
        )
    text = (comment or "").strip() or None
    changes = (
        {"review_comment": text, "reviewed_at": clock.now()}
        if by_reviewer
        else {"self_comment": text, "submitted_at": clock.now()}
    )
    updated = await store.update_assessment(uow.conn, row["id"], status=target.value, **changes)
    verb = "reviewed" if by_reviewer else "submitted"
    await uow.publish(
        f"{EVENT}assessment.{verb}.v1", str(row["id"]), assessment_data(updated, cycle)
    )
    return updated


async def _cycle_of(uow: UnitOfWork, row: asyncpg.Record) -> asyncpg.Record:
    cycle = await store.cycle(uow.conn, row["cycle_id"])
    assert cycle is not None
    return cycle


def _reviewer(caller: Caller, row: asyncpg.Record) -> None:
    """The assigned ASSESSOR reviews (superior review); nobody else, not even an admin."""
    reach = policy.reach(caller, Resource.ASSESSMENTS, Action.WRITE)
    if not (reach.assigned and row["assessor_subject"] == caller.subject):
        raise refuse(
            "assessmentId",
            ErrorCode.FORBIDDEN,
            "只有指派的评审人可以审核",
            "Only the assessor assigned to it may review it",
        )


async def review_assessment(
    runtime: Runtime,
    caller: Caller,
    assessment_id: uuid.UUID,
    comment: str | None,
    scores: list[GivenScore],
) -> asyncpg.Record:
    async with runtime.unit_of_work() as uow:
        row = await _assessment(uow, caller, assessment_id)
        _reviewer(caller, row)
        return await _score_and_move(uow, row, AssessmentStatus.REVIEWED, comment, scores)


async def return_assessment(
    runtime: Runtime, caller: Caller, assessment_id: uuid.UUID, reason: str
) -> asyncpg.Record:
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise refuse(
            "reason", ErrorCode.BAD_USER_INPUT, "退回原因须为1至500字", "The reason is 1 to 500"
        )
    async with runtime.unit_of_work() as uow:
        row = await _assessment(uow, caller, assessment_id)
        _reviewer(caller, row)
        _move(row, AssessmentStatus.DRAFT)
        cycle = await _cycle_of(uow, row)
        updated = await store.update_assessment(
            uow.conn,
            row["id"],
            status=AssessmentStatus.DRAFT.value,
            returned_reason=reason,
            returned_at=clock.now(),
        )
        await uow.publish(
            f"{EVENT}assessment.returned.v1", str(row["id"]), assessment_data(updated, cycle)
        )
        return updated


async def rate_organization(
    runtime: Runtime, caller: Caller, assessment_id: uuid.UUID, ratings: dict[str, int]
) -> asyncpg.Record:
    """群众评议: a member of the organisation rates each dimension 1–5, once; the row keeps a
    keyed hash of (member, assessment), not who."""
    person = caller.person_uuid
    async with runtime.unit_of_work() as uow:
        row = await store.assessment(uow.conn, assessment_id)
        if row is None or row["subject_kind"] != "ORGANIZATION" or person is None:
            raise _not_found()
        if not await metric_store.is_member(uow.conn, row["subject_id"], person):
            raise refuse(
                "assessmentId",
                ErrorCode.FORBIDDEN,
                "只有该组织的成员可以参加群众评议",
                "Only the organisation's members may rate it",
            )
        if row["status"] == AssessmentStatus.PUBLISHED:
            raise refuse(
                "status", ErrorCode.CONFLICT, "结果已公布，评议已结束", "The results are published"
            )
        cycle = await _cycle_of(uow, row)
        dimensions = [d.code for d in scheme_of(cycle).dimensions]
        problems = Problems()
        if set(ratings) != set(dimensions):
            problems.bad(
                "ratings",
                "须对每个维度各评一次",
                f"Rate each dimension once: {', '.join(dimensions)}",
            )
        for code, rating in ratings.items():
            if rating not in domain.RATING_RANGE:
                problems.bad(f"ratings.{code}", "评分须为1至5", "A rating is 1 to 5")
        problems.refuse()
        key = protector_of(runtime).lookup_hash(f"{person}:{assessment_id}", REVIEW_KEY_FIELD)
        if not await store.add_member_review(uow.conn, row["id"], key, ratings, clock.today()):
            raise refuse(
                "assessmentId",
                ErrorCode.CONFLICT,
                "您已参加过该组织的群众评议",
                "You have rated this organisation already",
            )
        return row


async def publish_cycle(runtime: Runtime, caller: Caller, cycle_id: uuid.UUID) -> asyncpg.Record:
    """Publish the reviewed assessments of a closed cycle: totals from the frozen measures and
    the reviewers' scores, ranks within each family (people: one list), grades by band with the
    优秀 share capped by rank (ties at the cut explained)."""
    async with runtime.unit_of_work() as uow:
        cycle = await store.cycle(uow.conn, cycle_id, lock=True)
        if cycle is None or not caller.can_see_area(cycle["area_code"]):
            raise refuse("id", ErrorCode.NOT_FOUND, "评议周期不存在", "No such cycle")
        _admin(caller, cycle["area_code"])
        if cycle["status"] != CycleStatus.CLOSED:
            raise refuse(
                "status",
                ErrorCode.CONFLICT,
                "评议周期截止（冻结测评数据）后才能公布",
                "Close the cycle (freezing its measures) before publishing",
            )
        rows = [
            r
            for r in await store.cycle_subjects(uow.conn, cycle_id)
            if r["status"] == AssessmentStatus.REVIEWED
        ]
        if not rows:
            raise refuse(
                "status",
                ErrorCode.CONFLICT,
                "没有已审核的评议可以公布",
                "No reviewed assessment to publish",
            )
        cards = await scorecards(uow.conn, cycle, rows)
        bands, share = bands_of(cycle)
        groups: dict[str | None, list[asyncpg.Record]] = {}
        for row in rows:
            groups.setdefault(row["family"], []).append(row)
        results = []
        for members in groups.values():
            graded = grade_all(
                [(r["subject_id"], cards[r["id"]].total) for r in members], bands, share
            )
            by_subject = {g.subject_id: g for g in graded}
            for row in members:
                g = by_subject[row["subject_id"]]
                results.append(
                    (
                        row["id"],
                        cards[row["id"]].total,
                        cards[row["id"]].dimensions,
                        g.rank,
                        g.grade.value,
                        g.note_zh,
                    )
                )
        at = clock.now()
        published = await store.publish_results(uow.conn, results, at)
        updated = await store.update_cycle(uow.conn, cycle_id, published_at=at)
        # The grade distribution of every area with a published subject (and above) moved.
        await stats_store.mark_with_ancestors(uow.conn, {r["area_code"] for r in rows})
        await uow.publish_many(
            [
                (f"{EVENT}assessment.published.v1", str(r["id"]), assessment_data(r, cycle))
                for r in published
            ]
        )
        return updated


async def assessments_to_rate(runtime: Runtime, caller: Caller) -> list[asyncpg.Record]:
    """The unpublished assessments of the organisations the caller (a member) belongs to."""
    person = caller.person_uuid
    if person is None:
        return []
    orgs = await store.organizations_of_member(runtime.db, person, clock.today())
    return [
        r
        for r in await store.open_assessments_of(runtime.db, orgs)
        if caller.can_see_area(r["area_code"])
    ]


async def rated_already(runtime: Runtime, caller: Caller, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    person = caller.person_uuid
    if person is None or not ids:
        return set()
    protector = protector_of(runtime)
    keys = [protector.lookup_hash(f"{person}:{i}", REVIEW_KEY_FIELD) for i in ids]
    return await store.has_reviewed(runtime.db, ids, keys)


def metric_label(code: str | None) -> tuple[str, str]:
    metric = METRICS.get(code or "")
    return (metric.label_zh, metric.label_en) if metric else ("", "")
