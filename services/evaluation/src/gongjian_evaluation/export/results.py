"""A cycle's published results as a workbook: one sheet ranked, with each dimension's score and
the grade; a second sheet says what the cycle was (area, period, scheme, weights)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook

from gongjian_evaluation.domain.grading import GRADE_LABELS, Grade
from gongjian_evaluation.domain.schemes import Scheme, plain
from gongjian_kit.bulk.sheets import header_cells, set_widths

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAMILY_LABELS = {
    "PARTY": "党组织",
    "TRADE_UNION": "工会",
    "YOUTH_LEAGUE": "共青团",
    "WOMENS_FEDERATION": "妇联",
}
SUBJECT_LABELS = {"ORGANIZATION": "组织", "PERSON": "个人"}
RESULTS_SHEET = "评议结果"
ABOUT_SHEET = "说明"


@dataclass(frozen=True)
class ResultRow:
    rank: int | None
    subject_kind: str
    subject_id: uuid.UUID
    area_code: str
    family: str | None
    total: Decimal | None
    dimension_scores: dict[str, Decimal]
    grade: str | None
    grade_note: str | None


@dataclass(frozen=True)
class ResultsBook:
    cycle_name: str
    area_code: str  # the cycle's area, or the part of it the reader administers
    period_from: date
    period_to: date
    scheme: Scheme
    rows: list[ResultRow]
    exported_at: datetime


def headers(scheme: Scheme) -> list[str]:
    return [
        "排名",
        "组织类别",
        "对象类型",
        "对象编号",
        "所在区划",
        "总分",
        *(f"{d.label_zh}（{plain(d.weight)}%）" for d in scheme.dimensions),
        "等级",
        "等级说明",
    ]


def render_results(book: ResultsBook) -> bytes:
    """The workbook's bytes; names are not the evaluation service's to know, so subjects are
    given by id and area (the organizations service resolves an id to a name)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(RESULTS_SHEET)
    set_widths(sheet, [6, 10, 8, 38, 14, 8, *(16 for _ in book.scheme.dimensions), 8, 50])
    sheet.append(header_cells(sheet, headers(book.scheme)))
    for row in book.rows:
        sheet.append(
            [
                row.rank,
                FAMILY_LABELS.get(row.family or "", row.family or ""),
                SUBJECT_LABELS.get(row.subject_kind, row.subject_kind),
                str(row.subject_id),
                row.area_code,
                row.total,
                *(row.dimension_scores.get(d.code) for d in book.scheme.dimensions),
                GRADE_LABELS[Grade(row.grade)] if row.grade else None,
                row.grade_note,
            ]
        )
    about = workbook.create_sheet(ABOUT_SHEET)
    set_widths(about, [16, 60])
    for label, value in (
        ("评议周期", book.cycle_name),
        ("区划", book.area_code),
        ("评议期间", f"{book.period_from} 至 {book.period_to}"),
        ("评价方案", book.scheme.name),
        *((f"维度：{d.label_zh}", f"权重 {plain(d.weight)}%") for d in book.scheme.dimensions),
        ("导出时间", book.exported_at.strftime("%Y-%m-%d %H:%M")),
        ("说明", "仅含已公布的评议结果；排名为同一组织类别内的名次，并列者同名次。"),
    ):
        about.append([label, value])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
