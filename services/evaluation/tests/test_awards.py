"""Awards and exports: the public notice in working days, the moves, what the events carry, and
the XLSX and the explanation page read back. Pure rules and renderers, no I/O."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import chinese_calendar
import pytest
from jsonschema import Draft202012Validator
from openpyxl import load_workbook

import gongjian_evaluation
from gongjian_evaluation.domain import awards as domain
from gongjian_evaluation.domain.awards import AwardStatus, AwardTitle, Notice, notice_period
from gongjian_evaluation.domain.schemes import DEFAULT_COLLECTIVE
from gongjian_evaluation.export.explanation import (
    DimensionLine,
    ExplanationPage,
    IndicatorLine,
    render_explanation,
)
from gongjian_evaluation.export.results import (
    ABOUT_SHEET,
    RESULTS_SHEET,
    ResultRow,
    ResultsBook,
    render_results,
)
from gongjian_evaluation.settings import EvaluationSettings
from gongjian_evaluation.usecases.awards import award_data
from gongjian_kit.workdays import work_calendar

D = Decimal
SCHEMAS = Path(gongjian_evaluation.__file__).parent / "event_schemas"


# --- the public notice ------------------------------------------------------------------------


def test_the_notice_lasts_five_working_days_by_default():
    assert EvaluationSettings().award_notice_working_days == 5


def test_a_proposal_on_the_day_before_national_day_runs_past_the_holiday():
    # 2026-09-30 (Wed): 1–7 October are off, Saturday 10 October is worked (调休). The five
    # working days after the proposal: 8, 9, 10, 12 and 13 October.
    notice = notice_period(date(2026, 9, 30), 5, work_calendar())
    assert notice == Notice(date(2026, 9, 30), date(2026, 10, 13))
    assert notice.confer_from == date(2026, 10, 14)
    assert all(notice.open_on(date(2026, 10, d)) for d in range(1, 14))
    assert not notice.over_on(date(2026, 10, 13))
    assert notice.over_on(date(2026, 10, 14))
    assert not notice.open_on(date(2026, 10, 14))


def test_an_ordinary_week_is_five_weekdays():
    # Monday 1 June 2026: Tuesday to Friday and the next Monday.
    assert notice_period(date(2026, 6, 1), 5, work_calendar()).last_day == date(2026, 6, 8)
    # Proposed on a Saturday: the next five weekdays.
    assert notice_period(date(2026, 6, 6), 5, work_calendar()).last_day == date(2026, 6, 12)


@pytest.mark.parametrize("working_days", [1, 3, 5, 7])
def test_the_notice_agrees_with_an_independent_calendar(working_days: int):
    day = date(2024, 1, 1)
    while day < date(2026, 12, 1):
        last = notice_period(day, working_days, work_calendar()).last_day
        counted = [
            day + timedelta(days=k)
            for k in range(1, (last - day).days + 1)
            if chinese_calendar.is_workday(day + timedelta(days=k))
        ]
        assert len(counted) == working_days, day
        assert counted[-1] == last, day
        day += timedelta(days=3)


def test_a_notice_of_no_working_days_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        notice_period(date(2026, 6, 1), 0, work_calendar())


# --- titles and moves -------------------------------------------------------------------------


def test_the_collective_title_is_for_organisations_the_models_for_people():
    assert domain.title_fits(AwardTitle.ADVANCED_COLLECTIVE, "ORGANIZATION")
    assert not domain.title_fits(AwardTitle.ADVANCED_COLLECTIVE, "PERSON")
    models = [t for t in AwardTitle if t is not AwardTitle.ADVANCED_COLLECTIVE]
    assert len(models) == 5
    for title in models:
        assert domain.title_fits(title, "PERSON")
        assert not domain.title_fits(title, "ORGANIZATION")
        assert domain.TITLE_LABELS[title].endswith("标兵")


def test_a_proposed_award_is_conferred_or_withdrawn_and_then_stays():
    assert domain.can_move(AwardStatus.PROPOSED, AwardStatus.CONFERRED)
    assert domain.can_move(AwardStatus.PROPOSED, AwardStatus.WITHDRAWN)
    for done in (AwardStatus.CONFERRED, AwardStatus.WITHDRAWN):
        for target in AwardStatus:
            assert not domain.can_move(done, target)
    zh, en = domain.refusal(AwardStatus.WITHDRAWN, "授予", "conferred")
    assert "已撤回" in zh
    assert "WITHDRAWN" in en


# --- events -----------------------------------------------------------------------------------


def _award_row(status: str = "PROPOSED") -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "cycle_id": uuid.uuid4(),
        "assessment_id": uuid.uuid4(),
        "subject_kind": "ORGANIZATION",
        "subject_id": uuid.uuid4(),
        "area_code": "330110001001",
        "title": "ADVANCED_COLLECTIVE",
        "status": status,
        "notice_from": date(2026, 9, 30),
        "notice_until": date(2026, 10, 13),
        "objection_count": 1,
        "open_objections": 0,
        "withdraw_reason": "材料不实",
        "proposed_by": "admin",
    }


@pytest.mark.parametrize(
    ("verb", "status", "extra"),
    [
        ("proposed", "PROPOSED", {}),
        ("objection-raised", "PROPOSED", {"objectionId": str(uuid.uuid4())}),
        ("conferred", "CONFERRED", {"conferredOn": "2026-10-14"}),
        ("withdrawn", "WITHDRAWN", {"withdrawnOn": "2026-10-09"}),
    ],
)
def test_award_events_match_their_schemas_and_carry_no_text(verb, status, extra):
    schema = json.loads((SCHEMAS / f"gongjian.evaluation.award.{verb}.v1.json").read_text())
    data = {**award_data(_award_row(status)), **extra}  # type: ignore[arg-type]
    Draft202012Validator(schema).validate(data)
    assert "材料不实" not in json.dumps(data, ensure_ascii=False)
    assert "admin" not in json.dumps(data)


# --- the results workbook ---------------------------------------------------------------------


def _row(rank: int, total: str, grade: str, note: str | None = None) -> ResultRow:
    return ResultRow(
        rank=rank,
        subject_kind="ORGANIZATION",
        subject_id=uuid.UUID(int=rank),
        area_code="330110001001",
        family="TRADE_UNION",
        total=D(total),
        dimension_scores={d.code: D(total) for d in DEFAULT_COLLECTIVE.dimensions},
        grade=grade,
        grade_note=note,
    )


def test_the_results_workbook_reads_back_ranked_with_chinese_headers():
    note = "并列第1名，优秀名额1个，同分者均保留优秀"
    book = ResultsBook(
        cycle_name="2026年度五个好评议",
        area_code="330110001000",
        period_from=date(2026, 1, 1),
        period_to=date(2026, 12, 31),
        scheme=DEFAULT_COLLECTIVE,
        rows=[_row(1, "93.5", "EXCELLENT", note), _row(2, "81.25", "GOOD"), _row(3, "42", "FAIL")],
        exported_at=datetime(2027, 1, 5, 9, 30, tzinfo=UTC),
    )
    workbook = load_workbook(io.BytesIO(render_results(book)))
    assert workbook.sheetnames == [RESULTS_SHEET, ABOUT_SHEET]
    rows = list(workbook[RESULTS_SHEET].iter_rows(values_only=True))
    assert rows[0] == (
        "排名",
        "组织类别",
        "对象类型",
        "对象编号",
        "所在区划",
        "总分",
        "领导班子好（20%）",
        "队伍建设好（20%）",
        "工作机制好（20%）",
        "工作业绩好（20%）",
        "群众反映好（20%）",
        "等级",
        "等级说明",
    )
    assert [r[0] for r in rows[1:]] == [1, 2, 3]
    assert rows[1][1:6] == ("工会", "组织", str(uuid.UUID(int=1)), "330110001001", 93.5)
    assert rows[1][6:11] == (93.5,) * 5
    assert rows[1][11:] == ("优秀", note)
    assert rows[2][11:] == ("良好", None)
    assert rows[3][5] == 42
    assert rows[3][11] == "不合格"
    about = dict(workbook[ABOUT_SHEET].iter_rows(values_only=True))
    assert about["评议周期"] == "2026年度五个好评议"
    assert about["评议期间"] == "2026-01-01 至 2026-12-31"
    assert about["评价方案"] == "五个好"


# --- the explanation page ---------------------------------------------------------------------


def test_the_explanation_page_shows_every_input_and_escapes_what_it_quotes():
    curve = DEFAULT_COLLECTIVE.indicator("cases_resolved").curve
    assert curve is not None
    page = ExplanationPage(
        assessment_id=uuid.UUID(int=7),
        cycle_name="<b>2026</b>年度",
        scheme_name="五个好",
        period_from=date(2026, 1, 1),
        period_to=date(2026, 12, 31),
        subject_kind="ORGANIZATION",
        subject_id=uuid.UUID(int=8),
        area_code="330110001001",
        family="PARTY",
        total=D("86.40"),
        rank=2,
        grade_zh="良好",
        grade_note=None,
        published_at=datetime(2027, 1, 4, 8, tzinfo=UTC),
        dimensions=[DimensionLine("工作业绩好", D(20), D("77.5"))],
        indicators=[
            IndicatorLine(
                dimension_zh="工作业绩好",
                code="cases_resolved",
                label_zh="诉求办结",
                measured=True,
                weight=D(30),
                score=D("71.43"),
                metric_zh="诉求办结率",
                numerator_zh="期间受理且已办结的诉求数",
                denominator_zh="期间受理的诉求数",
                unit="%",
                numerator=D(17),
                denominator=D(20),
                value=D("0.85"),
                evidence_count=20,
                curve_zh=curve.explain(),
                frozen_at=datetime(2027, 1, 2, tzinfo=UTC),
            ),
            IndicatorLine(
                dimension_zh="群众反映好",
                code="member_review",
                label_zh="群众评议",
                measured=False,
                weight=D(50),
                score=D(88),
                guidance_zh="成员匿名评议",
                reviewer_score=D(88),
            ),
        ],
        printed_at=datetime(2027, 1, 5, tzinfo=UTC),
    )
    html = render_explanation(page).decode()
    assert "@media print" in html
    assert "@page" in html
    for text in (
        "期间受理且已办结的诉求数</td><td class='n'>17</td>",
        "期间受理的诉求数</td><td class='n'>20</td>",
        "<td class='n'>0.85</td>",
        "2026-01-01 至 2026-12-31",
        curve.explain(),
        "<td class='n'>71.43</td>",
        "群众评议",
        "<td class='n'>88</td>",
    ):
        assert text in html, text
    assert "<b>2026</b>" not in html
    assert "&lt;b&gt;2026&lt;/b&gt;年度" in html
