"""Bulletins (信息通报): an area's admins generate one for a period; its figures are computed
from the evidence ledger now, kept (so the PDF and the workbook behind the links show the same
numbers), and answered with the signed links of both documents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from gongjian_evaluation.bulletins.document import (
    FIGURE_LABELS,
    LINE_LABELS,
    NO_LINE,
    SHOWN_OVERDUE,
    Bulletin,
    Figure,
    Gap,
    LineFigure,
    Month,
    Overdue,
    SubArea,
    family_label,
    line_label,
    previous_period,
)
from gongjian_evaluation.export.results import FAMILY_LABELS
from gongjian_evaluation.store import bulletins as store
from gongjian_evaluation.usecases.assessments import Problems, refuse
from gongjian_kit import clock, policy
from gongjian_kit.areas import AreaLevel, area_level, area_prefix, is_area_code
from gongjian_kit.auth import Caller
from gongjian_kit.db import Executor
from gongjian_kit.errors import ErrorCode
from gongjian_kit.files import SignedLink, file_link
from gongjian_kit.policy import Action, Resource
from gongjian_kit.runtime import Runtime

MAX_PERIOD_DAYS = 3 * 366  # a bulletin covers at most three years


@dataclass(frozen=True)
class Generated:
    bulletin: Bulletin
    pdf: SignedLink
    xlsx: SignedLink


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _month_keys(start: date, end: date) -> list[str]:
    keys, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _sub_digits(area_code: str) -> int | None:
    """How many digits name a sub-area of ``area_code`` (None: a community has none)."""
    return {AreaLevel.DISTRICT: 9, AreaLevel.STREET: 12}.get(area_level(area_code))


async def compute(
    conn: Executor, bulletin_id: uuid.UUID, area_code: str, start: date, end: date
) -> Bulletin:
    """The bulletin of ``area_code`` over ``start``..``end`` as the ledger stands now."""
    like = area_prefix(area_code) + "%"
    previous = previous_period(start, end)
    now_figures = await store.figures(conn, like, start, end)
    then_figures = await store.figures(conn, like, *previous)
    figures = [
        Figure(code, label, _number(now_figures[code]), _number(then_figures[code]))
        for code, label in FIGURE_LABELS
    ]
    by_line = {r["line"]: r for r in await store.lines(conn, like, (start, end), previous)}
    order = [*LINE_LABELS, *sorted(k for k in by_line if k not in LINE_LABELS and k != NO_LINE)]
    if NO_LINE in by_line:
        order.append(NO_LINE)
    lines = [
        LineFigure(
            line=key,
            label_zh=line_label(key),
            completed=by_line[key]["completed"] if key in by_line else 0,
            previous=by_line[key]["previous"] if key in by_line else 0,
            people_served=int(by_line[key]["people_served"]) if key in by_line else 0,
            volunteer_hours=float(by_line[key]["volunteer_hours"]) if key in by_line else 0.0,
        )
        for key in order
    ]
    counted = await store.months(conn, like, start, end)
    months = [Month(key, counted.get(key, 0)) for key in _month_keys(start, end)]

    digits = _sub_digits(area_code)
    sub_areas: list[SubArea] = []
    gaps: list[Gap] = []
    if digits is not None:
        rows = [
            r
            for r in await store.sub_areas(conn, like, start, end, digits)
            if r["area_code"] != area_code
        ]
        rows.sort(key=lambda r: (-r["completed"], r["area_code"]))
        sub_areas = [
            SubArea(rank, r["area_code"], r["completed"], int(r["people_served"]))
            for rank, r in enumerate(rows, start=1)
        ]
        # Coverage: each sub-area known to have organisations, missing a family the area has.
        held = await store.families(conn, like, digits)
        held.pop(area_code, None)
        present = set().union(*held.values()) if held else set()
        known = [f for f in FAMILY_LABELS if f in present] + sorted(present - set(FAMILY_LABELS))
        gaps = [
            Gap(code, family, family_label(family))
            for code in sorted(held)
            for family in known
            if family not in held[code]
        ]

    overdue_rows = await store.overdue(conn, like, clock.today())
    counts = {r["source_kind"]: r["n"] for r in overdue_rows}
    return Bulletin(
        id=bulletin_id,
        area_code=area_code,
        period_from=start,
        period_to=end,
        previous_from=previous[0],
        previous_to=previous[1],
        generated_at=clock.now(),
        figures=figures,
        lines=lines,
        sub_areas=sub_areas,
        gaps=gaps,
        overdue_cases=counts.get("CASE", 0),
        overdue_decisions=counts.get("DECISION", 0),
        overdue=[
            Overdue(r["source_kind"], str(r["source_id"]), r["area_code"], r["due_on"])
            for r in overdue_rows[:SHOWN_OVERDUE]
        ],
        months=months,
    )


def links(runtime: Runtime, bulletin_id: uuid.UUID) -> tuple[SignedLink, SignedLink]:
    now = clock.now()
    return (
        file_link(runtime.settings, f"bulletins/{bulletin_id}.pdf", now=now),
        file_link(runtime.settings, f"bulletins/{bulletin_id}.xlsx", now=now),
    )


def _admin(caller: Caller) -> bool:
    return bool(policy.reach(caller, Resource.RECORDS, Action.WRITE).area)


async def kept_bulletin(
    runtime: Runtime, caller: Caller, bulletin_id: uuid.UUID
) -> Generated | None:
    """A bulletin generated before, with fresh links (the area's admins); None otherwise."""
    if not _admin(caller):
        return None
    row = await store.bulletin(runtime.db, bulletin_id)
    if row is None or not caller.can_see_area(row["area_code"]):
        return None
    pdf, xlsx = links(runtime, bulletin_id)
    return Generated(Bulletin.from_json(row["content"]), pdf, xlsx)


async def generate_bulletin(
    runtime: Runtime, caller: Caller, area_code: str, start: date, end: date
) -> Generated:
    """The area's admins (RECORDS WRITE over the whole area) generate the bulletin of a period."""
    problems = Problems()
    if not is_area_code(area_code):
        problems.bad("areaCode", "区划代码应为12位数字", "An area code is 12 digits")
    if end < start:
        problems.bad("to", "结束日期不能早于开始日期", "The period ends before it starts")
    elif (end - start).days >= MAX_PERIOD_DAYS:
        problems.bad("to", "统计期间不能超过三年", "A bulletin covers at most three years")
    problems.refuse()
    if not _admin(caller):
        raise refuse(
            None,
            ErrorCode.FORBIDDEN,
            "只有区划管理员可以生成信息通报",
            "Only the area's admins generate bulletins",
        )
    if not caller.can_see_area(area_code):
        raise refuse(
            "areaCode", ErrorCode.FORBIDDEN, "该区划不在您的管理范围内", "Outside your area"
        )
    bulletin_id = uuid.uuid4()
    async with runtime.unit_of_work() as uow:
        bulletin = await compute(uow.conn, bulletin_id, area_code, start, end)
        await store.insert(
            uow.conn,
            bulletin_id,
            area_code,
            (start, end),
            bulletin.to_json(),
            caller.subject,
            bulletin.generated_at,
        )
    pdf, xlsx = links(runtime, bulletin_id)
    return Generated(bulletin, pdf, xlsx)
