"""The documents behind signed links, and who may have a link.

``/files/evaluation/results/<cycle id>/<area code>.xlsx``: a cycle's published results in an
area (the cycle's, or the part of it the admin who asked administers);
``/files/evaluation/explanations/<assessment id>.html``: one published assessment explained.
Registered on the ServiceDefinition as ``files={"results/": results_file, "explanations/":
explanation_file}``; the kit checks a link's signature before a handler runs, so the handlers
only build what the link names. Results are published once and frozen: a document built at
download time is the one the link was given for.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from gongjian_evaluation.domain.grading import GRADE_LABELS, Grade
from gongjian_evaluation.domain.metrics import METRICS
from gongjian_evaluation.domain.schemes import IndicatorKind, Scheme
from gongjian_evaluation.export.explanation import (
    HTML,
    DimensionLine,
    ExplanationPage,
    IndicatorLine,
    render_explanation,
)
from gongjian_evaluation.export.results import XLSX, ResultRow, ResultsBook, render_results
from gongjian_evaluation.store import assessments as assessment_store
from gongjian_evaluation.store import awards as store
from gongjian_evaluation.usecases.assessments import scheme_of, sees_assessment
from gongjian_kit import clock, policy
from gongjian_kit.areas import area_prefix, area_within, is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.errors import ApiError, ErrorCode
from gongjian_kit.files import SignedLink, file_link
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
RESULTS = re.compile(rf"({UUID})/([0-9]{{12}})\.xlsx")
EXPLANATION = re.compile(rf"({UUID})\.html")


def _decimal(raw: Any) -> Decimal | None:
    return None if raw is None else Decimal(str(raw))


def _published_nothing() -> ApiError:
    return ApiError(
        ErrorCode.CONFLICT,
        "评议结果尚未公布，不能导出",
        "Only published results are exported; nothing is published here yet",
        "status",
    )


# Links -------------------------------------------------------------------------------------


def _export_area(caller: Caller, cycle_area: str) -> str | None:
    """The area of a cycle an admin's export covers: the whole cycle when it lies in the
    caller's area, the caller's own part when the cycle is wider; None when they do not meet."""
    if caller.can_see_area(cycle_area):
        return cycle_area
    if area_within(caller.area, cycle_area):
        return caller.area
    return None


async def results_link(runtime: Runtime, caller: Caller, cycle_id: uuid.UUID) -> SignedLink | None:
    """A link to the cycle's published results (the area's admins); None when the cycle is
    not theirs to see; CONFLICT when nothing of it is published."""
    reach = policy.reach(caller, Resource.ASSESSMENTS, Action.WRITE)
    if not reach.area:
        raise ApiError(
            ErrorCode.FORBIDDEN,
            "只有区划管理员可以导出评议结果",
            "Only the area's admins export results",
        )
    cycle = await assessment_store.cycle(runtime.db, cycle_id)
    area = _export_area(caller, cycle["area_code"]) if cycle is not None else None
    if area is None:
        return None
    if not await store.published_results(runtime.db, cycle_id, area_prefix(area) + "%"):
        raise _published_nothing()
    return file_link(runtime.settings, f"results/{cycle_id}/{area}.xlsx")


async def explanation_link(
    runtime: Runtime, caller: Caller, assessment_id: uuid.UUID
) -> SignedLink | None:
    """A link to the assessment's explanation page, for whoever may read the assessment."""
    row = await assessment_store.assessment(runtime.db, assessment_id)
    if row is None or not sees_assessment(caller, row):
        return None
    if row["status"] != "PUBLISHED":
        raise _published_nothing()
    return file_link(runtime.settings, f"explanations/{assessment_id}.html")


# Documents ---------------------------------------------------------------------------------


def _result_row(row: asyncpg.Record) -> ResultRow:
    return ResultRow(
        rank=row["rank"],
        subject_kind=row["subject_kind"],
        subject_id=row["subject_id"],
        area_code=row["area_code"],
        family=row["family"],
        total=_decimal(row["total"]),
        dimension_scores={
            k: d
            for k, v in (row["dimension_scores"] or {}).items()
            if (d := _decimal(v)) is not None
        },
        grade=row["grade"],
        grade_note=row["grade_note"],
    )


async def results_file(runtime: Runtime, rest: str) -> tuple[bytes, str, str] | None:
    """The workbook of ``<cycle id>/<area code>.xlsx``, or None."""
    match = RESULTS.fullmatch(rest)
    if match is None or not is_area_code(match[2]):
        return None
    cycle_id, area = uuid.UUID(match[1]), match[2]
    cycle = await assessment_store.cycle(runtime.db, cycle_id)
    if cycle is None:
        return None
    rows = await store.published_results(runtime.db, cycle_id, area_prefix(area) + "%")
    if not rows:
        return None
    book = ResultsBook(
        cycle_name=cycle["name"],
        area_code=area,
        period_from=cycle["period_from"],
        period_to=cycle["period_to"],
        scheme=scheme_of(cycle),
        rows=[_result_row(r) for r in rows],
        exported_at=clock.now(),
    )
    content = await asyncio.to_thread(render_results, book)
    return content, XLSX, f"评议结果-{cycle['name']}-{area}.xlsx"


def _indicator_line(
    scheme: Scheme, dimension_zh: str, code: str, found: asyncpg.Record | None
) -> IndicatorLine:
    indicator = scheme.indicator(code)
    values: dict[str, Any] = dict(found) if found is not None else {}
    if indicator.kind is IndicatorKind.SCORED:
        return IndicatorLine(
            dimension_zh=dimension_zh,
            code=code,
            label_zh=indicator.label_zh,
            measured=False,
            weight=indicator.weight,
            score=_decimal(values.get("score")),
            guidance_zh=indicator.guidance_zh,
            self_score=_decimal(values.get("self_score")),
            reviewer_score=_decimal(values.get("reviewer_score")),
        )
    metric = METRICS.get(indicator.metric or "")
    return IndicatorLine(
        dimension_zh=dimension_zh,
        code=code,
        label_zh=indicator.label_zh,
        measured=True,
        weight=indicator.weight,
        score=_decimal(values.get("score")),
        metric_zh=metric.label_zh if metric else indicator.metric,
        numerator_zh=metric.numerator_zh if metric else None,
        denominator_zh=metric.denominator_zh if metric else None,
        unit=metric.unit if metric else None,
        numerator=_decimal(values.get("numerator")),
        denominator=_decimal(values.get("denominator")),
        value=_decimal(values.get("value")),
        evidence_count=values.get("evidence_count"),
        curve_zh=indicator.curve.explain() if indicator.curve else None,
        frozen_at=values.get("frozen_at"),
    )


async def explanation_file(runtime: Runtime, rest: str) -> tuple[bytes, str, str] | None:
    """The page of ``<assessment id>.html`` (published assessments only), or None."""
    match = EXPLANATION.fullmatch(rest)
    if match is None:
        return None
    assessment_id = uuid.UUID(match[1])
    row = await assessment_store.assessment(runtime.db, assessment_id)
    if row is None or row["status"] != "PUBLISHED":
        return None
    cycle = await assessment_store.cycle(runtime.db, row["cycle_id"])
    if cycle is None:
        return None
    scheme = scheme_of(cycle)
    found = (await assessment_store.indicators(runtime.db, [assessment_id]))[assessment_id]
    scores = row["dimension_scores"] or {}
    page = ExplanationPage(
        assessment_id=assessment_id,
        cycle_name=cycle["name"],
        scheme_name=scheme.name,
        period_from=cycle["period_from"],
        period_to=cycle["period_to"],
        subject_kind=row["subject_kind"],
        subject_id=row["subject_id"],
        area_code=row["area_code"],
        family=row["family"],
        total=_decimal(row["total"]),
        rank=row["rank"],
        grade_zh=GRADE_LABELS[Grade(row["grade"])] if row["grade"] else None,
        grade_note=row["grade_note"],
        published_at=row["published_at"],
        dimensions=[
            DimensionLine(d.label_zh, d.weight, _decimal(scores.get(d.code)))
            for d in scheme.dimensions
        ],
        indicators=[
            _indicator_line(scheme, d.label_zh, i.code, found.get(i.code))
            for d in scheme.dimensions
            for i in d.indicators
        ],
        printed_at=clock.now(),
    )
    return render_explanation(page), HTML, f"评议结果说明-{assessment_id}.html"
