"""The bulletin's PDF and workbook drawn from one set of figures: the Chinese text extractable,
the numbers in both, the charts present."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from pypdf import PdfReader

from gongjian_evaluation.bulletins.document import (
    FIGURE_LABELS,
    Bulletin,
    Figure,
    Gap,
    LineFigure,
    Month,
    Overdue,
    SubArea,
    change_text,
    number_text,
    previous_period,
)
from gongjian_evaluation.bulletins.pdf import BAR_CHART_TITLE, LINE_CHART_TITLE, render_bulletin
from gongjian_evaluation.bulletins.workbook import (
    FIGURES_SHEET,
    LINES_SHEET,
    MONTHS_SHEET,
    render_workbook,
)

VALUES = {
    "completedActivities": (12, 7),
    "peopleServed": (340, 120),
    "volunteerHours": (56.5, 20.25),
    "casesOpened": (9, 4),
    "casesResolved": (6, 4),
    "casesResolvedOnTime": (5, 3),
    "satisfactionAverage": (4.5, None),
    "pledgesMade": (3, 0),
    "pledgesFulfilled": (1, 0),
    "decisionsMade": (2, 1),
    "decisionsDone": (1, 1),
}


def sample() -> Bulletin:
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    before = previous_period(start, end)
    return Bulletin(
        id=uuid.uuid4(),
        area_code="330106001000",
        period_from=start,
        period_to=end,
        previous_from=before[0],
        previous_to=before[1],
        generated_at=datetime(2026, 4, 2, 9, tzinfo=UTC),
        figures=[Figure(code, label, *VALUES[code]) for code, label in FIGURE_LABELS],
        lines=[
            LineFigure("SERVING_THE_PEOPLE", "服务群众", 8, 5, 300, 40.5),
            LineFigure("PAIRING", "结对共建", 4, 2, 40, 16.0),
            LineFigure("MECHANISMS", "健全机制", 0, 0, 0, 0.0),
        ],
        sub_areas=[
            SubArea(1, "330106001002", 9, 300),
            SubArea(2, "330106001001", 3, 40),
        ],
        gaps=[Gap("330106001001", "YOUTH_LEAGUE", "共青团")],
        overdue_cases=1,
        overdue_decisions=0,
        overdue=[Overdue("CASE", str(uuid.uuid4()), "330106001002", date(2026, 3, 20))],
        months=[Month("2026-01", 2), Month("2026-02", 4), Month("2026-03", 6)],
    )


def test_previous_period_has_the_same_length() -> None:
    assert previous_period(date(2026, 1, 1), date(2026, 3, 31)) == (
        date(2025, 10, 3),
        date(2025, 12, 31),
    )
    assert previous_period(date(2026, 3, 1), date(2026, 3, 1)) == (
        date(2026, 2, 28),
        date(2026, 2, 28),
    )


def test_the_json_kept_reads_back_the_same() -> None:
    bulletin = sample()
    assert Bulletin.from_json(bulletin.to_json()) == bulletin


def test_pdf_has_the_chinese_title_figures_and_charts() -> None:
    bulletin = sample()
    content = render_bulletin(bulletin)
    reader = PdfReader(io.BytesIO(content))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "信息通报" in text
    assert "2026年1月1日至2026年3月31日" in text
    for figure in bulletin.figures:
        row = (
            figure.label_zh
            + number_text(figure.value)
            + number_text(figure.previous)
            + change_text(figure.value, figure.previous)
        )
        assert row in text, row
    assert "56.5" in text
    assert "+36.25" in text
    # The charts: their titles, the axis label, the lines of work and the months under them.
    for label in (BAR_CHART_TITLE, LINE_CHART_TITLE, "场次", "本期", "上期", "2026-02", "月份"):
        assert label in text, label
    assert "330106001002" in text
    assert "共青团" in text
    assert "超期诉求1件" in text
    # One embedded font, with TrueType outlines (gongjian_kit.fonts), so the text extracts.
    assert b"/FontFile2" in content


def test_workbook_has_the_same_figures_and_native_charts() -> None:
    bulletin = sample()
    book = load_workbook(io.BytesIO(render_workbook(bulletin)))
    sheet = book[FIGURES_SHEET]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=5, values_only=True)}
    for figure in bulletin.figures:
        _, _, value, previous, change = rows[figure.code]
        assert (value, previous, change) == (figure.value, figure.previous, figure.change)
    assert rows["overdueCases"][2] == 1
    lines = book[LINES_SHEET]
    assert [r[:4] for r in lines.iter_rows(min_row=2, values_only=True)] == [
        ("服务群众", "SERVING_THE_PEOPLE", 8, 5),
        ("结对共建", "PAIRING", 4, 2),
        ("健全机制", "MECHANISMS", 0, 0),
    ]
    # openpyxl keeps the charts it reads back
    assert len(lines._charts) == 1
    assert len(book[MONTHS_SHEET]._charts) == 1
